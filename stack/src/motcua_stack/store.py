"""The MongoDB-protocol store: a real mongod when one is on PATH, otherwise FerretDB 1.24 with its
SQLite backend, built from Go modules by the small Go program in stack/ferretdb."""

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from . import processes
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
    """Which store `start` runs: `mongod` or `ferretdb`."""
    return "mongod" if shutil.which("mongod") else "ferretdb"


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
    """Start the store and wait until it listens."""
    if processes.running_pid(NAME) is not None:
        return
    if processes.port_open(host(), port()):
        raise StackError(f"port {port()} is taken by another process; set MOTCUA_STACK_STORE_PORT")
    if engine() == "mongod":
        db_path = data_dir() / "mongod"
        db_path.mkdir(parents=True, exist_ok=True)
        argv = ["mongod", "--dbpath", str(db_path), "--bind_ip", host(), "--port", str(port())]
        cwd = db_path
    else:
        sqlite_dir = data_dir() / "ferretdb"
        sqlite_dir.mkdir(parents=True, exist_ok=True)
        argv = [str(ferretdb_binary()), "--listen", f"{host()}:{port()}", "--data-dir", str(sqlite_dir)]
        cwd = sqlite_dir
    processes.start(NAME, argv, cwd=cwd)
    processes.wait_for_port(NAME, host(), port(), timeout=60)
