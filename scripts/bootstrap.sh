#!/usr/bin/env bash
# Installs what the project needs on a fresh machine: uv and the locked Python environment.
# Kafka's jars and the FerretDB build are fetched on first use by motcua-stack and cached in .stack/.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in java mvn; do command -v "$tool" >/dev/null || missing+=("$tool"); done
command -v mongod >/dev/null || command -v go >/dev/null || missing+=("go (or mongod)")
if ((${#missing[@]})); then
  echo "bootstrap: missing ${missing[*]}: install Java 17+, Maven and Go (see README), or use docker compose" >&2
  exit 1
fi

if ! command -v uv >/dev/null; then
  python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv
  export PATH="$HOME/.local/bin:$PATH"
fi
uv sync --frozen --quiet
