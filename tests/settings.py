"""Settings for the test suite: the project's settings with development-style security
defaults (pytest-django still runs tests with DEBUG off) and a fast password hasher."""

import os

os.environ.setdefault("DEBUG", "true")

from salesops.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
