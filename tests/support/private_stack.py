"""A broker or store of one test alone, to stop and start as a fault: the project's own native stack
(`motcua_stack.kafka`, `motcua_stack.store`) in a temporary stack home on free ports, never the shared
one. Kafka's jars and the FerretDB build come from the shared stack's cache (MOTCUA_STACK_CACHE, else
the stack home's cache), so nothing is downloaded or built when they are there."""

import os
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from motcua_stack import kafka, postgres, processes, store
from motcua_stack.paths import PROJECT_ROOT

from support.deployment import environ, free_port


def shared_cache() -> Path:
    if os.environ.get("MOTCUA_STACK_CACHE"):
        return Path(os.environ["MOTCUA_STACK_CACHE"])
    return Path(os.environ.get("MOTCUA_STACK_HOME", PROJECT_ROOT / ".stack")) / "cache"


@dataclass
class PrivateKafka:
    home: Path
    port: int = 0
    controller_port: int = 0

    def __post_init__(self) -> None:
        self.port, self.controller_port = free_port(), free_port()

    def _env(self) -> dict[str, str]:
        return {
            "MOTCUA_STACK_HOME": str(self.home),
            "MOTCUA_STACK_CACHE": str(shared_cache()),
            "MOTCUA_STACK_KAFKA_PORT": str(self.port),
            "MOTCUA_STACK_KAFKA_CONTROLLER_PORT": str(self.controller_port),
        }

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start (or start again: the same data directory, so topics and offsets survive)."""
        with environ(self._env()):
            kafka.start()

    def stop(self) -> bool:
        with environ(self._env()):
            return processes.stop(kafka.NAME)


@dataclass
class PrivateStore:
    home: Path
    port: int = 0
    postgres_port: int = 0  # FerretDB's own PostgreSQL cluster (when there is no mongod)

    def __post_init__(self) -> None:
        self.port, self.postgres_port = free_port(), free_port()

    def _env(self) -> dict[str, str]:
        return {
            "MOTCUA_STACK_HOME": str(self.home),
            "MOTCUA_STACK_CACHE": str(shared_cache()),
            "MOTCUA_STACK_STORE_PORT": str(self.port),
            "MOTCUA_STACK_POSTGRES_PORT": str(self.postgres_port),
        }

    @property
    def mongodb_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}"

    def start(self) -> None:
        with environ(self._env()):
            store.start()

    def stop(self) -> bool:
        with environ(self._env()):
            stopped = store.stop()
            if postgres.cluster_dir() != self.home / "data" / "postgres":  # outside the home: remove it too
                shutil.rmtree(postgres.cluster_dir(), ignore_errors=True)
            return stopped

    def crash(self) -> None:
        """kill -9: connections drop at once. (Stopped gently, FerretDB answers the requests under way
        with an InternalError "context canceled" rather than MongoDB's InterruptedAtShutdown.)"""
        with environ(self._env()):
            pid = processes.running_pid(store.NAME)
            assert pid is not None, "the private store is not running"
            os.kill(pid, signal.SIGKILL)
            while processes.running_pid(store.NAME) is not None:  # reaps our child
                time.sleep(0.05)
