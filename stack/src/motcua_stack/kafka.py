"""Apache Kafka 4.x in KRaft combined mode, from Maven Central, on loopback."""

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from . import processes
from .paths import STACK_SOURCES, cache_dir, data_dir
from .processes import StackError

NAME = "kafka"
POM = STACK_SOURCES / "kafka" / "pom.xml"
LOG4J2 = STACK_SOURCES / "kafka" / "log4j2.properties"


def host() -> str:
    return "127.0.0.1"


def port() -> int:
    return int(os.environ.get("MOTCUA_STACK_KAFKA_PORT", "9092"))


def controller_port() -> int:
    return int(os.environ.get("MOTCUA_STACK_KAFKA_CONTROLLER_PORT", "9093"))


def bootstrap_servers() -> str:
    return f"{host()}:{port()}"


def libs_dir() -> Path:
    """Kafka's jars, collected by Maven once and reused while the pom is unchanged."""
    pom_hash = hashlib.sha256(POM.read_bytes()).hexdigest()[:12]
    libs = cache_dir() / f"kafka-libs-{pom_hash}"
    marker = libs / ".complete"
    if marker.exists():
        return libs
    if shutil.which("mvn") is None:
        raise StackError("Maven (mvn) is needed once to fetch Kafka's jars from Maven Central")
    print(f"Fetching Kafka jars from Maven Central into {libs} (first run only)", flush=True)
    shutil.rmtree(libs, ignore_errors=True)
    result = subprocess.run(
        ["mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies", f"-DoutputDirectory={libs}"],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise StackError(f"mvn could not fetch Kafka's jars:\n{result.stdout}\n{result.stderr}")
    marker.touch()
    return libs


def _java(libs: Path, main: str, *args: str) -> list[str]:
    java = shutil.which("java")
    if java is None:
        raise StackError("Java 17+ is needed to run Kafka")
    return [java, "-Xms256m", "-Xmx1g", f"-Dlog4j2.configurationFile={LOG4J2}", "-cp", f"{libs}/*", main, *args]


def _server_properties(log_dirs: Path) -> str:
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.bootstrap.servers={host()}:{controller_port()}",
            f"listeners=PLAINTEXT://{host()}:{port()},CONTROLLER://{host()}:{controller_port()}",
            f"advertised.listeners=PLAINTEXT://{host()}:{port()}",
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "inter.broker.listener.name=PLAINTEXT",
            f"log.dirs={log_dirs}",
            "num.partitions=3",
            "offsets.topic.replication.factor=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=true",
            "",
        ]
    )


def start() -> None:
    """Start the broker (formatting its storage on first use) and wait until it listens."""
    if not processes.needs_start(NAME, host(), port(), "MOTCUA_STACK_KAFKA_PORT"):
        return
    libs = libs_dir()
    home = data_dir() / "kafka"
    log_dirs = home / "log"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "server.properties"
    config.write_text(_server_properties(log_dirs))
    if not (log_dirs / "meta.properties").exists():
        cluster_id = (
            subprocess.run(
                _java(libs, "kafka.tools.StorageTool", "random-uuid"), capture_output=True, text=True, check=True
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        result = subprocess.run(
            _java(libs, "kafka.tools.StorageTool", "format", "--standalone", "-t", cluster_id, "-c", str(config)),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise StackError(f"Kafka storage could not be formatted:\n{result.stdout}\n{result.stderr}")
    processes.start(NAME, _java(libs, "kafka.Kafka", str(config)), cwd=home)
    processes.wait_for_port(NAME, host(), port(), timeout=90)


def stop() -> bool:
    return processes.stop(NAME)
