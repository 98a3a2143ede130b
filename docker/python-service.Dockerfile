# One image recipe for every Python service: the build context is the repository root, so the shared
# service kit is copied in beside the one service named by SERVICE, never duplicated into it.
FROM python:3.11-slim AS deps
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir --prefix=/install -r requirements.txt

FROM python:3.11-slim
ARG SERVICE
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SERVICE=${SERVICE}
WORKDIR /app
COPY --from=deps /install /usr/local
COPY service_kit ./service_kit
COPY ${SERVICE} ./${SERVICE}
RUN useradd --system --uid 10001 buteco && rm -rf ./${SERVICE}/tests
USER buteco
EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:5000/health', timeout=2).status != 200)"
CMD ["sh", "-c", "exec uvicorn ${SERVICE}.main:app --host 0.0.0.0 --port 5000 --proxy-headers"]
