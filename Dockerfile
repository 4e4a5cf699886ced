# ---------------------------------------------------------------------------
# Stage 1: front-end libraries. `npm ci`, then the Makefile copies the files the
# templates use into static/vendor. The Makefile stays the one list of those files.
# ---------------------------------------------------------------------------
FROM node:20-slim AS assets

# node:*-slim may come without make: install it only when it is missing.
# hadolint ignore=DL3008
RUN if ! command -v make >/dev/null 2>&1; then \
        apt-get update \
        && apt-get install -y --no-install-recommends make \
        && rm -rf /var/lib/apt/lists/*; \
    fi

WORKDIR /build
COPY package.json package-lock.json Makefile ./
RUN make static/vendor/.installed


# ---------------------------------------------------------------------------
# Stage 2: the Django application (web, Celery worker and beat share this image).
# ---------------------------------------------------------------------------
FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    DJANGO_SETTINGS_MODULE=salesops.settings

# An unprivileged user to run the app; the code itself stays owned by root (read-only to it).
# It gets a writable home: gunicorn puts its control socket in $HOME/.gunicorn/.
RUN groupadd --system --gid 10001 salesops \
    && useradd --system --uid 10001 --gid salesops --create-home --home-dir /home/salesops \
        --shell /usr/sbin/nologin salesops

# Python dependencies first, so that a change to the code does not reinstall them.
# The project installs no package of its own (packages = []): only its dependencies land.
COPY pyproject.toml constraints.txt /opt/salesops-deps/
RUN pip install -c /opt/salesops-deps/constraints.txt /opt/salesops-deps \
    && rm -rf /opt/salesops-deps

WORKDIR /app
COPY . .
COPY --from=assets /build/static/vendor/ /app/static/vendor/

# STATIC_ROOT (/app/staticfiles) and MEDIA_ROOT (/app/media) belong to the app user:
# collectstatic below runs as that user, and uploads are written at run time.
RUN mkdir -p /app/staticfiles /app/media \
    && chown salesops:salesops /app/staticfiles /app/media

# Numeric, so that orchestrators enforcing "run as non-root" can verify it (10001 = salesops).
USER 10001:10001

# A throwaway key for this step only: settings refuse to load without one when DEBUG=false.
# The real SECRET_KEY comes from the environment at run time.
RUN DEBUG=false SECRET_KEY=build-only-throwaway-key-not-used-at-run-time-0123456789abcdef \
    python manage.py collectstatic --noinput

EXPOSE 8000

# Shell form through sh -c so that WEB_CONCURRENCY is read at start; exec hands PID 1 to gunicorn.
CMD ["sh", "-c", "exec gunicorn salesops.wsgi:application --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-3} --access-logfile -"]
