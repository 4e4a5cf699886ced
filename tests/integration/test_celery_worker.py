import datetime
import os

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache, caches
from django.db import connection
from django.utils import timezone

from salesops.tasks import clear_expired_sessions

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_services_are_the_real_ones():
    assert connection.vendor == "postgresql"
    assert caches["default"].__class__.__name__ == "RedisCache"
    cache.set("integration-probe", "seen", 30)
    assert cache.get("integration-probe") == "seen"


def test_task_sent_through_redis_is_executed_by_the_worker_process(celery_worker, real_broker):
    now = timezone.now()
    Session.objects.create(
        session_key="e" * 32, session_data="", expire_date=now - datetime.timedelta(hours=1)
    )
    Session.objects.create(
        session_key="f" * 32, session_data="", expire_date=now + datetime.timedelta(hours=1)
    )

    result = clear_expired_sessions.apply_async(queue=celery_worker.queue)

    assert result.get(timeout=60) == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == ["f" * 32]
    # The worker, not this process, ran it: its log names the task's id.
    assert result.id in celery_worker.log.read_text()
    assert celery_worker.pid != os.getpid()
