# AdBee: the Slack bot (Socket Mode) and its CLI in one image; runtime dependencies only.
#   docker build -t adbee .
#   docker run -d --name adbee --env-file .env -v "$PWD/data:/app/data" \
#     -v "$PWD/configs:/app/configs:ro" -v "$PWD/creatives:/app/creatives:ro" adbee
#   docker exec adbee python -m bot health          # exit 0 healthy, 1 degraded, 2 down
# configs/ is mounted so the bot uses your accounts.yaml, not the example one in the image.
# For several replicas on PostgreSQL see compose.yaml and docs/operations.md.
#
# Python 3.14: every pinned dependency publishes 3.14 wheels (checked for this release); CI runs
# the same code on 3.11, the oldest supported (pyproject.toml's requires-python, ruff's target).
FROM python:3.14-slim

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

# Dependencies first, so code changes do not reinstall them. Only the bot's list: the emulators
# behind the offline demo (requirements.txt adds them) and the test and lint tools
# (requirements-dev.txt) never enter the image.
COPY requirements-bot.txt ./
RUN pip install -r requirements-bot.txt

# The code stays owned by root (read-only for the bot); only data/ is writable: the default
# SQLite file and data/uploads, where videos attached in Slack wait until their creation ends.
# .dockerignore leaves out the tests, the benchmarks and the emulators (emulators/): in the image
# `python -m bot demo` says in one line that it needs a source checkout.
COPY . .
RUN mkdir -p /app/data/uploads && chown -R adbee:adbee /app/data

USER adbee

# The bot serves its health report on HEALTH_PORT (/healthz: 200 healthy or degraded, 503 down);
# `health --probe` asks it, so the probe sees the Slack socket and the scheduler of the running
# process, and exits 1 only when down (degraded, e.g. a token expiring in 5 days, is not a
# reason to restart). `python -m bot health` itself exits 0 healthy, 1 degraded, 2 down.
ENV HEALTH_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=20s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot", "health", "--probe"]

# `python -m bot` handles SIGTERM: it stops taking work, checkpoints running creations and exits
# within SHUTDOWN_GRACE_SECONDS (default 8 s, under `docker stop`'s 10 s); queued ones stay for
# the next start. Give a longer stop grace (`docker stop -t`, compose's stop_grace_period) if you
# raise SHUTDOWN_GRACE_SECONDS.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot"]
