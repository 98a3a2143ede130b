# syntax=docker/dockerfile:1
# One recipe for every Python image. The build context is the repository root (see .dockerignore), so the
# shared service kit is copied in beside the one service named by SERVICE, never duplicated into it.
#
#   docker build -f docker/python-service.Dockerfile --target service --build-arg SERVICE=balance_api .
#   docker build -f docker/python-service.Dockerfile --target bot .
#
# Stages: deps (wheels, with the build tools) -> runtime (slim, non-root, no build tools) -> bot | service.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /build
COPY requirements.txt .
RUN pip install --prefix=/install -r requirements.txt

FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PORT=5000
RUN groupadd --system --gid 10001 buteco \
 && useradd --system --uid 10001 --gid buteco --no-create-home --shell /usr/sbin/nologin buteco
COPY --from=deps /install /usr/local
WORKDIR /app

# The Discord bot. plugins/ is baked in as a default and mounted over (read-only) by docker-compose.yml,
# so a dropped manifest plus `/plugins reload` adds a service without rebuilding this image.
FROM runtime AS bot
ENV PLUGINS_DIR=/app/plugins BOT_STATUS_FILE=/tmp/buteco-bot.status
COPY buteco_bot ./buteco_bot
COPY plugins ./plugins
COPY docker/bot_healthcheck.py /usr/local/bin/bot_healthcheck.py
USER 10001:10001
# Healthy while the bot says it is connected to Discord (BOT_STATUS_FILE; it has no HTTP port of its own). Otherwise
# the check prints why (`down: Discord refused DISCORD_TOKEN ...`): see it with `docker inspect` or by running it.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "/usr/local/bin/bot_healthcheck.py"]
CMD ["python", "-m", "buteco_bot"]

# An HTTP service: `uvicorn <SERVICE>.main:app` on $PORT (5000), GET /health for the probe.
FROM runtime AS service
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<python package>, e.g. balance_api" >&2; exit 1; }
ENV SERVICE=${SERVICE}
COPY service_kit ./service_kit
COPY ${SERVICE} ./${SERVICE}
RUN test -f "${SERVICE}/main.py" || { echo "${SERVICE}/main.py not found" >&2; exit 1; }
USER 10001:10001
EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; sys.exit(urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['PORT']}/health\", timeout=2).status != 200)"]
# exec: uvicorn becomes PID 1 and gets SIGTERM from `docker stop` (graceful shutdown).
CMD ["sh", "-c", "exec uvicorn \"${SERVICE}.main:app\" --host 0.0.0.0 --port \"${PORT}\" --proxy-headers --no-server-header"]
