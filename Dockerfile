# AdBee: the Slack bot (Socket Mode) and its CLI in one image.
#   docker build -t adbee .
#   docker run --env-file .env -v "$PWD/data:/app/data" adbee             # the bot, SQLite in ./data
#   docker run --env-file .env adbee python -m bot health                 # liveness: exit 0 = healthy
# For several replicas on PostgreSQL see compose.yaml and docs/operations.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Account time zones (Asia/Singapore, America/Los_Angeles, ...) are read through zoneinfo, which
# needs the system time zone database; recent slim images no longer ship it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tzdata \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 adbee \
    && useradd --system --uid 10001 --gid adbee --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin adbee

WORKDIR /app

# Dependencies first, so code changes do not reinstall them.
COPY requirements.txt ./
RUN pip install -r requirements.txt

# The code stays owned by root (read-only for the bot); only data/ is writable: the default
# SQLite file and data/uploads, where videos attached in Slack wait until their creation ends.
COPY . .
RUN mkdir -p /app/data/uploads && chown -R adbee:adbee /app/data

USER adbee

# Checks settings, the accounts file and the database from a separate process; it does not see
# the Socket Mode connection of the running bot (docs/operations.md, "Health check").
HEALTHCHECK --interval=30s --timeout=20s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot", "health"]

# `python -m bot` handles SIGTERM: it stops taking work, checkpoints running creations and exits
# within SHUTDOWN_GRACE_SECONDS (default 8 s, under `docker stop`'s 10 s); queued ones stay for
# the next start. Give a longer stop grace (`docker stop -t`, compose's stop_grace_period) if you
# raise SHUTDOWN_GRACE_SECONDS.
CMD ["python", "-m", "bot"]
