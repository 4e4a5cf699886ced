import datetime

from django.contrib.sessions.models import Session
from django.utils import timezone

from salesops.tasks import clear_expired_sessions


def test_clear_expired_sessions_keeps_live_ones_and_is_idempotent(db):
    day = datetime.timedelta(days=1)
    Session.objects.create(session_key="a" * 32, session_data="", expire_date=timezone.now() - day)
    Session.objects.create(session_key="b" * 32, session_data="", expire_date=timezone.now() + day)
    assert clear_expired_sessions.delay().get() == 1
    assert clear_expired_sessions.delay().get() == 0
    assert list(Session.objects.values_list("session_key", flat=True)) == ["b" * 32]


def test_beat_schedules_the_nightly_session_cleanup(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["clear-expired-sessions"]
    assert entry["task"] == clear_expired_sessions.name


def test_every_beat_entry_names_a_registered_task(settings):
    """A renamed or mistyped task in the schedule would fail only at night, in the worker."""
    from salesops.celery import app

    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
