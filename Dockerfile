# The production image: the site served by gunicorn on port 8000.
# With no settings it runs on the embedded defaults (SQLite, a generated
# SECRET_KEY and local media, all in the /app/instance volume); see README.md
# and docker-compose.yml for PostgreSQL, Redis, Celery and S3/MinIO.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 --user-group contest

WORKDIR /app
# Editable install: the package finds templates/, static/ and migrations/
# beside it in /app, and its instance folder is /app/instance.
COPY pyproject.toml README.md ./
COPY contest ./contest
RUN pip install -e .
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY scripts/docker-start ./scripts/docker-start

RUN mkdir -p /app/instance && chown contest:contest /app/instance
VOLUME /app/instance
USER contest

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"
CMD ["/app/scripts/docker-start"]
