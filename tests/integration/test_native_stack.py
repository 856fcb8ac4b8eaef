"""The native stack runs the real programs: a JVM running kafka.Kafka and mongod or the FerretDB build."""

from pathlib import Path

import pytest
from motcua_stack import processes
from support.infrastructure import Infrastructure


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_the_project_started_a_real_broker_and_store(infrastructure: Infrastructure) -> None:
    if infrastructure.origin != "native":
        pytest.skip(f"dependencies come from {infrastructure.origin}, not the native stack")
    kafka_pid = processes.running_pid("kafka")
    store_pid = processes.running_pid("store")
    assert kafka_pid and store_pid
    assert "java" in _cmdline(kafka_pid) and "kafka.Kafka" in _cmdline(kafka_pid)
    assert "motcua-ferretdb" in _cmdline(store_pid) or "mongod" in _cmdline(store_pid)
