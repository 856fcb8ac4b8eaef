"""Bring the native dependencies up, report on them, take them down."""

from dataclasses import dataclass, field

from . import kafka, processes, store


@dataclass
class Endpoints:
    kafka_bootstrap_servers: str
    mongodb_url: str
    # What this call started (and so what its caller may stop); empty when all was already up.
    started: list[str] = field(default_factory=list)


def ensure_running() -> Endpoints:
    """Start Kafka and the store unless they already run; reuse caches and data."""
    started = []
    for component in (kafka, store):
        if processes.running_pid(component.NAME) is None:
            component.start()
            started.append(component.NAME)
    return Endpoints(kafka.bootstrap_servers(), store.mongodb_url(), started)


def stop(names: list[str] | None = None) -> list[str]:
    """Stop the named components (default: all); return those that were running."""
    stopped = []
    for component in (store, kafka):
        if (names is None or component.NAME in names) and processes.stop(component.NAME):
            stopped.append(component.NAME)
    return stopped


def status() -> dict[str, str]:
    report = {}
    for component, address in ((kafka, kafka.bootstrap_servers()), (store, store.mongodb_url())):
        pid = processes.running_pid(component.NAME)
        report[component.NAME] = f"running (pid {pid}) at {address}" if pid else "stopped"
    report["store engine"] = store.engine()
    return report
