"""A real Celery worker process for the integration tests, on the test database and REDIS_URL.

These tests run only when REDIS_URL is set (tests/conftest.py deselects them otherwise). With
the services configured, anything missing is a failure, never a skip.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis

from salesops.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def _database_url(settings_dict) -> str:
    if settings_dict["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail(
            "Integration tests need DATABASE_URL on PostgreSQL so the worker shares the "
            "test database; SQLite's test database lives in this process only."
        )
    credentials = quote(settings_dict["USER"] or "")
    if settings_dict["PASSWORD"]:
        credentials += ":" + quote(settings_dict["PASSWORD"])
    host = settings_dict["HOST"] or "localhost"
    port = settings_dict["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{quote(settings_dict['NAME'])}"


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """Start `celery worker` as a separate process, consuming a queue of this test run only."""
    from django.db import connection

    redis_url = os.environ["REDIS_URL"]
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
    except redis.RedisError as error:
        pytest.fail(f"REDIS_URL is set but Redis does not answer: {error}")

    queue = f"salesops-test-{uuid.uuid4().hex[:10]}"
    node = f"{queue}@localhost"
    environment = dict(
        os.environ,
        DATABASE_URL=_database_url(connection.settings_dict),
        DJANGO_SETTINGS_MODULE="tests.settings",
    )
    log_path = ROOT / "test-artifacts" / f"{queue}.log"
    log_path.parent.mkdir(exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "salesops",
                "worker",
                "--pool",
                "solo",
                "--queues",
                queue,
                "--hostname",
                node,
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while not celery_app.control.ping(destination=[node], timeout=1.0):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The Celery worker did not come up:\n{log_path.read_text()[-3000:]}")
        yield type("Worker", (), {"queue": queue, "pid": process.pid, "log": log_path})
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        # PostgreSQL may take a moment to notice the worker's connection is gone; end it so
        # that the test database can be dropped.
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture
def real_broker():
    """Send tasks through the broker, as production does (unit tests run them eagerly)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield celery_app
    celery_app.conf.task_always_eager = previous
