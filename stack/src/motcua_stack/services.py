"""The four services as background processes of the native stack, each with its pid file and log in the
stack home, started with the broker, store, topic prefix and database they must use, and reported ready
only once they answer /health. A service may run several instances (scale-out): instance i of a service
listens on its base port + 100 * i and has its own pid file; all instances share one consumer group."""

import json
import os
import shutil
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import processes
from .paths import PROJECT_ROOT, run_dir
from .processes import StackError

HOST = "127.0.0.1"
# Instance i of a service listens on base port + PORT_STEP * i.
PORT_STEP = 100


@dataclass(frozen=True)
class Service:
    name: str  # "intake", "processing", "notification", "reporting"
    command: tuple[str, ...]  # the entry point and its sub-command
    default_port: int
    # The consumer group every instance of the service joins (what its config.py defaults to).
    consumer_group: str

    @property
    def env_prefix(self) -> str:
        return f"MOTCUA_{self.name.upper()}_"

    def base_port(self) -> int:
        """MOTCUA_STACK_<SERVICE>_PORT moves a service (e.g. a second stack beside the first)."""
        return int(os.environ.get(f"MOTCUA_STACK_{self.name.upper()}_PORT", self.default_port))

    def port(self, instance: int = 0) -> int:
        return self.base_port() + PORT_STEP * instance

    def process_name(self, instance: int = 0) -> str:
        return self.name if instance == 0 else f"{self.name}.{instance}"

    def url(self, instance: int = 0) -> str:
        return f"http://{HOST}:{self.port(instance)}"


INTAKE = Service("intake", ("motcua-intake", "serve"), 8001, "intake-service")
PROCESSING = Service("processing", ("motcua-processing",), 8002, "processing-service")
NOTIFICATION = Service("notification", ("motcua-notification",), 8003, "notification-service")
REPORTING = Service("reporting", ("motcua-reporting", "serve"), 8004, "reporting")
ALL = (INTAKE, PROCESSING, NOTIFICATION, REPORTING)
BY_NAME = {service.name: service for service in ALL}


@dataclass(frozen=True)
class Wiring:
    """What every service instance is pointed at."""

    kafka_bootstrap_servers: str
    mongodb_url: str
    # Prepended to topics and consumer groups: a test's services never meet another run's.
    topic_prefix: str = ""
    # Each service keeps its data in `<database_prefix><service>` (motcua_intake, motcua_processing, …).
    database_prefix: str = "motcua_"
    jwt_secret: str | None = None
    log_level: str = "INFO"
    extra_env: dict[str, str] = field(default_factory=dict)

    def database(self, service: Service) -> str:
        return f"{self.database_prefix}{service.name}"


def environment(service: Service, wiring: Wiring, instance: int = 0) -> dict[str, str]:
    """The MOTCUA_<SERVICE>_* variables of one instance."""
    values = {
        "KAFKA_BOOTSTRAP_SERVERS": wiring.kafka_bootstrap_servers,
        "MONGODB_URL": wiring.mongodb_url,
        "MONGODB_DATABASE": wiring.database(service),
        "TOPIC_PREFIX": wiring.topic_prefix,
        "CONSUMER_GROUP": f"{wiring.topic_prefix}{service.consumer_group}",
        "HTTP_HOST": HOST,
        "HTTP_PORT": str(service.port(instance)),
        "LOG_LEVEL": wiring.log_level,
    }
    if wiring.jwt_secret is not None:
        values["JWT_SECRET"] = wiring.jwt_secret
    env = {service.env_prefix + key: value for key, value in values.items()}
    env.update(wiring.extra_env)
    return env


def _executable(command: str) -> str:
    """The entry point installed beside this interpreter (the workspace's .venv), else on PATH."""
    beside = Path(sys.executable).parent / command
    if beside.exists():
        return str(beside)
    found = shutil.which(command)
    if found is None:
        raise StackError(f"{command} is not installed; run `uv sync` in {PROJECT_ROOT}")
    return found


def start(service: Service, wiring: Wiring, instance: int = 0, *, wait: bool = True, timeout: float = 90.0) -> bool:
    """Start one instance unless it runs; True if this call started it."""
    name = service.process_name(instance)
    if processes.running_pid(name) is not None:
        return False
    port = service.port(instance)
    if processes.port_open(HOST, port):
        raise StackError(
            f"port {port} for {name} is taken by another process; set MOTCUA_STACK_{service.name.upper()}_PORT"
        )
    argv = [_executable(service.command[0]), *service.command[1:]]
    processes.start(name, argv, cwd=PROJECT_ROOT, env=environment(service, wiring, instance))
    if wait:
        wait_healthy(service, instance, timeout=timeout)
    return True


def start_all(wiring: Wiring, instances: dict[str, int] | None = None, *, timeout: float = 90.0) -> list[str]:
    """Start every service (`instances` maps a service name to how many instances; default one each),
    all at once, then wait for each to answer /health. Returns the process names this call started."""
    counts = {service.name: 1 for service in ALL} | (instances or {})
    started = []
    for service in ALL:
        for instance in range(counts[service.name]):
            if start(service, wiring, instance, wait=False):
                started.append(service.process_name(instance))
    for service in ALL:
        for instance in range(counts[service.name]):
            wait_healthy(service, instance, timeout=timeout)
    return started


def health(service: Service, instance: int = 0) -> dict[str, Any] | None:
    """The instance's /health answer, or None when it does not answer 200."""
    try:
        with urllib.request.urlopen(f"{service.url(instance)}/health", timeout=2) as response:
            if response.status != 200:
                return None
            body = response.read()
    except (urllib.error.URLError, OSError):
        return None
    try:
        return json.loads(body) or {}
    except ValueError:
        return {}


def wait_healthy(service: Service, instance: int = 0, *, timeout: float = 90.0) -> None:
    """Wait until the instance answers /health; fail early, pointing at its log, if it died."""
    name = service.process_name(instance)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if health(service, instance) is not None:
            return
        if processes.running_pid(name) is None:
            raise StackError(f"{name} exited during start-up; see {processes.log_file(name)}")
        time.sleep(0.3)
    raise StackError(
        f"{name} did not answer {service.url(instance)}/health within {timeout:.0f}s; see {processes.log_file(name)}"
    )


def running() -> dict[str, int]:
    """Every service instance with a live pid file in this stack home: process name -> pid."""
    found: dict[str, int] = {}
    folder = run_dir()
    if not folder.exists():
        return found
    for pid_path in sorted(folder.glob("*.pid")):
        name = pid_path.stem
        if name.split(".")[0] in BY_NAME:
            pid = processes.running_pid(name)
            if pid is not None:
                found[name] = pid
    return found


def instance_of(name: str) -> tuple[Service, int]:
    """`processing.1` -> (PROCESSING, 1)."""
    service_name, _, index = name.partition(".")
    return BY_NAME[service_name], int(index or 0)


def stop(service: Service, instance: int = 0) -> bool:
    return processes.stop(service.process_name(instance))


def stop_all() -> list[str]:
    """Stop every service instance of this stack home (consumers first leave their groups cleanly)."""
    stopped = []
    for name in running():
        if processes.stop(name):
            stopped.append(name)
    return stopped
