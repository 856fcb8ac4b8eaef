#!/usr/bin/env bash
# Installs what the project needs on a fresh machine: PostgreSQL (as root, when missing), uv and the locked
# Python environment.
# Kafka's jars and the FerretDB build are fetched on first use by motcua-stack and cached in .stack/.
set -euo pipefail
cd "$(dirname "$0")/.."

# Without a mongod the store is FerretDB on PostgreSQL: Debian's server package, installed when we may.
has_postgres() { compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || command -v initdb >/dev/null; }
if ! command -v mongod >/dev/null && ! has_postgres && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "bootstrap: installing Debian's postgresql (the store's backend)" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
    || echo "bootstrap: could not install postgresql" >&2
fi

missing=()
for tool in java mvn; do command -v "$tool" >/dev/null || missing+=("$tool"); done
command -v mongod >/dev/null || command -v go >/dev/null || missing+=("go (or mongod)")
command -v mongod >/dev/null || has_postgres || missing+=("postgresql (or mongod)")
if ((${#missing[@]})); then
  echo "bootstrap: missing ${missing[*]}: install Java 17+, Maven, Go and PostgreSQL (see README), or use docker compose" >&2
  exit 1
fi

if ! command -v uv >/dev/null; then
  python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv
  export PATH="$HOME/.local/bin:$PATH"
fi
uv sync --frozen --quiet
