# The two commands a newcomer types: `make up` and `make test`.
export PATH := $(HOME)/.local/bin:$(PATH)

.PHONY: bootstrap up down status load test test-unit test-integration test-e2e schemas lint

bootstrap:
	@scripts/bootstrap.sh

# Kafka, the store, the topics, the four services, the sample catalogue and the demo data; URLs and tokens.
up: bootstrap
	uv run motcua-stack up

down:
	uv run motcua-stack down

status:
	uv run motcua-stack status

# The demo and load generator against the running stack: make load RATE=5 DURATION=60
RATE ?= 2
DURATION ?= 30
load:
	uv run motcua-stack load --rate $(RATE) --duration $(DURATION)

test: bootstrap
	uv run pytest

test-unit: bootstrap
	uv run pytest -m unit

test-integration: bootstrap
	uv run pytest -m integration

test-e2e: bootstrap
	uv run pytest -m e2e

schemas:
	uv run motcua-schemas docs/schemas

# ruff, the formatter's check and mypy --strict (pyproject.toml [tool.mypy]); CI runs it before the tests.
lint: bootstrap
	uv run ruff check .
	uv run ruff format --check .
	uv run mypy
