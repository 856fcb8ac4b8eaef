# syntax=docker/dockerfile:1
# One image recipe for the four services, built from the workspace lock (uv.lock) with the repository
# root as context; the build arguments name the service (docker-compose.yml gives them), e.g.
#   docker build --build-arg SERVICE=intake --build-arg SETTINGS_PREFIX=MOTCUA_INTAKE_ \
#     --build-arg HTTP_PORT=8001 -t motcua/intake-service .
# Settings: environment variables with the service's prefix, MOTCUA_INTAKE_* … (docs/configuration.md).

ARG PYTHON_IMAGE=python:3.12.12-slim-bookworm

# --- builder: the locked packages of this service alone, into /app/.venv ------------------------
FROM ${PYTHON_IMAGE} AS builder
# intake, processing, notification or reporting.
ARG SERVICE
ARG UV_VERSION=0.13.8
RUN test -n "${SERVICE}" || (echo "give the service: --build-arg SERVICE=intake|processing|notification|reporting" >&2; exit 1)
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# Third-party packages first, from the lock and the members' manifests only, so that a change in
# our code does not reinstall them. uv needs every member's manifest to read the workspace.
COPY pyproject.toml uv.lock ./
COPY shared/pyproject.toml shared/
COPY intake-service/pyproject.toml intake-service/
COPY processing-service/pyproject.toml processing-service/
COPY notification-service/pyproject.toml notification-service/
COPY reporting-service/pyproject.toml reporting-service/
COPY stack/pyproject.toml stack/
RUN uv sync --frozen --no-dev --no-install-workspace --package motcua-${SERVICE}
# Then our own code, installed as wheels (not editable) so the runtime stage needs no sources.
COPY shared/ shared/
COPY ${SERVICE}-service/ ${SERVICE}-service/
RUN uv sync --frozen --no-dev --no-editable --package motcua-${SERVICE}

# --- runtime: the interpreter, the virtualenv and an unprivileged user -----------------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE
# The service's settings prefix (MOTCUA_INTAKE_ …) and its port.
ARG SETTINGS_PREFIX
ARG HTTP_PORT
RUN groupadd --system --gid 10001 motcua \
    && useradd --system --uid 10001 --gid motcua --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin motcua
# Owned by root and read-only for the service: it cannot change its own code.
COPY --from=builder /app/.venv /app/.venv
# One command name whatever the service (an exec-form CMD cannot name the build argument).
RUN ln -s "motcua-${SERVICE}" /app/.venv/bin/motcua-service
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MOTCUA_SETTINGS_PREFIX=${SETTINGS_PREFIX} \
    ${SETTINGS_PREFIX}HTTP_HOST=0.0.0.0 \
    ${SETTINGS_PREFIX}HTTP_PORT=${HTTP_PORT}
# Numeric, so that an orchestrator can check it is not root without reading /etc/passwd.
USER 10001:10001
EXPOSE ${HTTP_PORT}
# The slim image has no curl: ask /health with the standard library, on the port the service listens on.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=6 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ[os.environ['MOTCUA_SETTINGS_PREFIX'] + 'HTTP_PORT'] + '/health', timeout=4)"]
CMD ["motcua-service"]
