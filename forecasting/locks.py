"""A lock per job scope, so that two runs never replace the same rows at once. It lives in the
cache (Redis in production, shared by every worker; local memory in development, where eager
tasks run one at a time anyway): `cache.add` sets the key only if it is absent, atomically,
and the timeout frees a lock whose holder died."""

import uuid
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

PREFIX = "forecasting:lock:"


class ScopeLocked(Exception):
    """Another run holds the scope."""


def lock_key(scope: str) -> str:
    return PREFIX + scope


def is_locked(scope: str) -> bool:
    return cache.get(lock_key(scope)) is not None


@contextmanager
def scope_lock(scope: str, *, timeout: int | None = None):
    """Hold `scope` for the block or raise ScopeLocked at once. Only the holder releases it."""
    key, token = lock_key(scope), uuid.uuid4().hex
    if not cache.add(key, token, timeout or settings.FORECASTING_LOCK_SECONDS):
        raise ScopeLocked(scope)
    try:
        yield
    finally:
        if cache.get(key) == token:
            cache.delete(key)
