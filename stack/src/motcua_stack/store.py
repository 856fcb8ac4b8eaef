"""The MongoDB-protocol store: a real mongod when one is on PATH, otherwise FerretDB 1.24 with its
PostgreSQL backend (the stack's own cluster, `postgres.py`), built from Go modules by the small Go
program in stack/ferretdb."""

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from . import postgres, processes
from .paths import STACK_SOURCES, cache_dir, data_dir
from .processes import StackError

NAME = "store"
FERRETDB_SOURCES = STACK_SOURCES / "ferretdb"


def host() -> str:
    return "127.0.0.1"


def port() -> int:
    return int(os.environ.get("MOTCUA_STACK_STORE_PORT", "27017"))


def mongodb_url() -> str:
    return f"mongodb://{host()}:{port()}"


def engine() -> str:
    """Which store `start` runs: `mongod` or `ferretdb` (on PostgreSQL)."""
    return "mongod" if shutil.which("mongod") else "ferretdb"


def process_names() -> list[str]:
    """The processes the store is made of, in the order they start."""
    return [NAME] if engine() == "mongod" else [postgres.NAME, NAME]


def ferretdb_binary() -> Path:
    """The FerretDB build, made once and reused while its Go sources are unchanged."""
    digest = hashlib.sha256()
    for name in ("main.go", "go.mod", "go.sum"):
        digest.update((FERRETDB_SOURCES / name).read_bytes())
    binary = cache_dir() / "bin" / f"motcua-ferretdb-{digest.hexdigest()[:12]}"
    if binary.exists():
        return binary
    if shutil.which("go") is None:
        raise StackError("Go is needed once to build FerretDB (or put a mongod on PATH)")
    print(f"Building FerretDB 1.24 into {binary} (first run only)", flush=True)
    binary.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["go", "build", "-o", str(binary), "."],
        cwd=FERRETDB_SOURCES,
        capture_output=True,
        text=True,
        # Never fetch a different Go toolchain: the machine's own must do.
        env={**os.environ, "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"},
    )
    if result.returncode != 0:
        raise StackError(f"FerretDB could not be built:\n{result.stdout}\n{result.stderr}")
    return binary


def start() -> None:
    """Start the store (PostgreSQL first, for FerretDB) and wait until it answers a ping."""
    if engine() == "ferretdb":
        binary = ferretdb_binary()  # before PostgreSQL: a failed build leaves nothing running
        postgres.start()
    if not processes.needs_start(NAME, host(), port(), "MOTCUA_STACK_STORE_PORT"):
        return
    if engine() == "mongod":
        db_path = data_dir() / "mongod"
        db_path.mkdir(parents=True, exist_ok=True)
        argv = ["mongod", "--dbpath", str(db_path), "--bind_ip", host(), "--port", str(port())]
        cwd = db_path
    else:
        argv = [str(binary), "--listen", f"{host()}:{port()}", "--postgresql-url", postgres.url()]
        cwd = data_dir()
        cwd.mkdir(parents=True, exist_ok=True)
    processes.start(NAME, argv, cwd=cwd)
    processes.wait_for_port(NAME, host(), port(), timeout=60)
    if not answers(timeout=30):
        raise StackError(
            f"the store ({engine()}) at {mongodb_url()} listens but does not answer a ping; "
            f"see {processes.log_file(NAME)}"
        )


def stop() -> bool:
    """Stop FerretDB (or mongod), then its PostgreSQL; True if any was running."""
    stopped = processes.stop(NAME)
    if engine() == "ferretdb":
        stopped = postgres.stop() or stopped
    return stopped


def answers(timeout: float = 5.0) -> bool:
    """Does the store answer a ping within `timeout`? (A stalled FerretDB listens but never answers.)"""
    client: MongoClient[dict[str, Any]] = MongoClient(
        mongodb_url(), serverSelectionTimeoutMS=int(timeout * 1000), socketTimeoutMS=int(timeout * 1000), maxPoolSize=1
    )
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()
