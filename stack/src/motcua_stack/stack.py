"""Bring the native stack up (Kafka, the store, the topics, the four services, the catalogue, the demo
data), report on it, take it down. Everything runs as processes with pid files in the stack home."""

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from motcua_shared.auth import Role, mint_token
from motcua_shared.settings import ServiceSettings
from motcua_shared.topics import Topics

from . import kafka, postgres, processes, services, sizes, store
from . import topics as topic_admin


@dataclass
class Endpoints:
    kafka_bootstrap_servers: str
    mongodb_url: str
    # What this call started (and so what its caller may stop); empty when all was already up.
    started: list[str] = field(default_factory=list)


def ensure_running() -> Endpoints:
    """Start Kafka and the store unless they already run; reuse caches and data."""
    started = []
    for component, names in ((kafka, [kafka.NAME]), (store, store.process_names())):
        if any(processes.running_pid(name) is None for name in names):
            component.start()  # starts what is missing of it (FerretDB's PostgreSQL too)
            started.append(component.NAME)
    return Endpoints(kafka.bootstrap_servers(), store.mongodb_url(), started)


def stop(names: list[str] | None = None) -> list[str]:
    """Stop the named components (default: all, services first); return those that were running."""
    stopped = []
    if names is None:
        stopped.extend(services.stop_all())
    for component in (store, kafka):
        if (names is None or component.NAME in names) and component.stop():
            stopped.append(component.NAME)
    return stopped


def status() -> dict[str, str]:
    report = {}
    for component, address in ((kafka, kafka.bootstrap_servers()), (store, store.mongodb_url())):
        pid = processes.running_pid(component.NAME)
        report[component.NAME] = f"running (pid {pid}) at {address}" if pid else "stopped"
    report["store engine"] = store.engine()
    if store.engine() == "ferretdb":
        pid = processes.running_pid(postgres.NAME)
        report[postgres.NAME] = (
            f"running (pid {pid}) at {postgres.host()}:{postgres.port()}, FerretDB's backend" if pid else "stopped"
        )
        report["store sizes"] = sizes.describe()
    if processes.running_pid(store.NAME) and not store.answers():
        report[store.NAME] += ", NOT answering a ping within 5 s"
    running = services.running()
    for service in services.ALL:
        names = [name for name in running if services.instance_of(name)[0] is service] or [service.name]
        for name in names:
            pid = running.get(name)
            if pid is None:
                report[name] = "stopped"
                continue
            _, instance = services.instance_of(name)
            healthy = "healthy" if services.health(service, instance) is not None else "NOT answering /health"
            report[name] = f"running (pid {pid}) at {service.url(instance)}, {healthy}"
    return report


# --- `up` -----------------------------------------------------------------------------------------------


def settings() -> ServiceSettings:
    """The token secret, issuer and audience every service and minted token share (MOTCUA_JWT_SECRET, …)."""
    return ServiceSettings()


def topic_prefix() -> str:
    """MOTCUA_STACK_TOPIC_PREFIX: empty for the real stack (the contract's topic names)."""
    return os.environ.get("MOTCUA_STACK_TOPIC_PREFIX", "")


def wiring() -> services.Wiring:
    return services.Wiring(
        kafka_bootstrap_servers=kafka.bootstrap_servers(),
        mongodb_url=store.mongodb_url(),
        topic_prefix=topic_prefix(),
        jwt_secret=settings().jwt_secret.get_secret_value(),
    )


def tokens() -> dict[str, str]:
    """One local token per role (officers and integrators scoped to an agency of the sample catalogue)."""
    config = settings()
    secret = config.jwt_secret.get_secret_value()

    def mint(role: Role, subject: str, agency: str | None = None) -> str:
        return mint_token(
            secret,
            role,
            subject=subject,
            agency_code=agency,
            ttl=timedelta(hours=12),
            issuer=config.jwt_issuer,
            audience=config.jwt_audience,
        )

    return {
        "applicant": mint(Role.APPLICANT, "demo-applicant"),
        "officer (STNMT)": mint(Role.OFFICER, "demo-officer-stnmt", "STNMT"),
        "official": mint(Role.OFFICIAL, "demo-official"),
        "integrator": mint(Role.INTEGRATOR, "demo-portal"),
        "admin": mint(Role.ADMIN, "demo-admin"),
    }


def fold_patience() -> float:
    """MOTCUA_STACK_FOLD_SECONDS (default 600): how long `up` waits for the demo data to be folded."""
    return float(os.environ.get("MOTCUA_STACK_FOLD_SECONDS", "600"))


def urls() -> dict[str, str]:
    links = {f"{service.name} API": f"{service.url()}/docs" for service in services.ALL}
    links["dashboard"] = f"{services.REPORTING.url()}/dashboard"
    return links


def up(
    *,
    demo_data: bool = True,
    burst_seconds: float = 10.0,
    instances: dict[str, int] | None = None,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """The README's first command: everything, ready to use. Safe to run again: what runs is kept,
    the demo data is imported once."""
    from . import demo, load

    began = time.monotonic()
    endpoints = ensure_running()
    say(f"Kafka at {endpoints.kafka_bootstrap_servers}, store ({store.engine()}) at {endpoints.mongodb_url}")
    run_topics = Topics(topic_prefix())
    counts = asyncio.run(topic_admin.ensure_topics(endpoints.kafka_bootstrap_servers, run_topics))
    say(f"topics: {', '.join(f'{name} ({n})' for name, n in sorted(counts.items()))}")
    started = services.start_all(wiring(), instances)
    say(f"services: {', '.join(services.running())} (started now: {', '.join(started) or 'none'})")

    report: dict[str, Any] = {"started": endpoints.started + started}
    official = tokens()["official"]
    if demo_data:
        imported = asyncio.run(demo.import_demo(endpoints.kafka_bootstrap_servers, endpoints.mongodb_url, run_topics))
        say(
            f"demo data: {imported.dossiers} dossiers ({imported.events} events) from {imported.start} to "
            f"{imported.end}, " + ("imported now" if imported.imported_now else "imported earlier")
        )
        report["demo"] = imported
    _load_catalogue(endpoints.kafka_bootstrap_servers)
    if demo_data:
        # The services fold the import in the background; wait for the figures to be whole.
        groups = [run_topics.prefix + service.consumer_group for service in (services.PROCESSING, services.REPORTING)]
        behind = asyncio.run(
            topic_admin.wait_caught_up(
                endpoints.kafka_bootstrap_servers,
                groups,
                [run_topics.catalog_events, run_topics.dossier_events],
                patience=fold_patience(),
                every=20.0,
                progress=lambda n, rate: say(
                    f"  processing and reporting folding: {n} events to go ({rate:.0f} events/s)" + _store_silence()
                ),
            )
        )
        if behind:
            say(f"  still {behind} events to fold; the dashboard fills in as they are")
        figures = asyncio.run(
            demo.summary(
                services.REPORTING.url(), official, report["demo"].start, report["demo"].end - timedelta(days=1)
            )
        )
        if figures:
            by_channel = figures["received"]["by_channel"]
            say(
                "reporting: received "
                + ", ".join(f"{c} {v['count']}" for c, v in by_channel.items())
                + f"; resolved {figures['resolved']['total']} (late {figures['resolved']['late']['count']}); "
                f"{figures['satisfaction']['total']} ratings"
            )
        report["summary"] = figures
        if report["demo"].imported_now and burst_seconds > 0 and behind:
            say("live demo skipped while the services catch up; `make load` drives the APIs whenever you like")
        elif report["demo"].imported_now and burst_seconds > 0:
            say(f"live demo: {burst_seconds:.0f}s of submissions and officers' actions through the APIs …")
            stats = asyncio.run(
                load.run(
                    services.INTAKE.url(),
                    services.PROCESSING.url(),
                    settings().jwt_secret.get_secret_value(),
                    rate=1.0,
                    duration=burst_seconds,
                    think_seconds=0.3,
                )
            )
            say(stats.summary().splitlines()[0])
    say(f"ready in {time.monotonic() - began:.0f}s\n")
    for name, link in urls().items():
        say(f"  {name:<17} {link}")
    say("\nTokens (12 h; send as `Authorization: Bearer <token>`):")
    for role, token in tokens().items():
        say(f"  {role:<16} {token}")
    say(f"\n`make status` says what runs, `make down` stops it all; logs are in {processes.log_file('intake').parent}")
    return report


def _store_silence() -> str:
    """What to add to a progress line when the store stopped answering (a stalled FerretDB waits in silence)."""
    if store.answers():
        return ""
    return (
        f"; the store ({store.engine()} at {store.mongodb_url()}) does NOT answer a ping: "
        f"see {processes.log_file(store.NAME)}"
    )


def _load_catalogue(bootstrap_servers: str) -> None:
    """`motcua-intake load-catalog`: the sample catalogue (same event ids every time: loading again is harmless)."""
    from motcua_intake.catalog_loader import load_catalogue
    from motcua_intake.config import Settings

    asyncio.run(load_catalogue(Settings(kafka_bootstrap_servers=bootstrap_servers, topic_prefix=topic_prefix())))
