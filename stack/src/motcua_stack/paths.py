"""Where the native stack keeps its sources, caches, data, logs and pid files."""

import os
from pathlib import Path

# stack/src/motcua_stack/paths.py -> the repository root
PROJECT_ROOT = Path(__file__).resolve().parents[3]
STACK_SOURCES = PROJECT_ROOT / "stack"


def state_dir() -> Path:
    """The git-ignored folder with caches (jars, binaries), data, logs and pid files."""
    return Path(os.environ.get("MOTCUA_STACK_HOME", PROJECT_ROOT / ".stack"))


def cache_dir() -> Path:
    """Kafka's jars and the FerretDB build; MOTCUA_STACK_CACHE lets a second stack home share them."""
    return Path(os.environ.get("MOTCUA_STACK_CACHE", state_dir() / "cache"))


def data_dir() -> Path:
    return state_dir() / "data"


def log_dir() -> Path:
    return state_dir() / "logs"


def run_dir() -> Path:
    return state_dir() / "run"
