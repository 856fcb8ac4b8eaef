"""The native stack runs the real programs: a JVM running kafka.Kafka and mongod or the FerretDB build, and
the four services as processes of their own."""

import asyncio
import os
import signal
import socket
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from motcua_shared.lifecycle import next_status
from motcua_shared.topics import Topics
from motcua_stack import demo, load, postgres, processes, services
from motcua_stack import topics as topic_admin
from motcua_stack.processes import StackError
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
    if "motcua-ferretdb" in _cmdline(store_pid):  # on the stack's own PostgreSQL, never SQLite
        postgres_pid = processes.running_pid("postgres")
        assert postgres_pid and "/postgres" in _cmdline(postgres_pid)
        assert f"127.0.0.1:{postgres.port()}/" in _cmdline(store_pid)
        assert "plan_cache_mode=force_custom_plan" in _cmdline(postgres_pid)


# --- the services as processes (motcua_stack.services), on the run's broker and store -----------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A stack home and an intake port of this test; whatever it started is stopped afterwards."""
    monkeypatch.setenv("MOTCUA_STACK_HOME", str(tmp_path))
    monkeypatch.setenv("MOTCUA_STACK_INTAKE_PORT", str(_free_port()))
    yield tmp_path
    services.stop_all()


def _wiring(infrastructure: Infrastructure, **changes: str) -> services.Wiring:
    tag = uuid.uuid4().hex[:8]
    values = {
        "kafka_bootstrap_servers": infrastructure.kafka_bootstrap_servers,
        "mongodb_url": infrastructure.mongodb_url,
        "topic_prefix": f"test-svc-{tag}.",
        "database_prefix": f"t_svc_{tag}_",
        **changes,
    }
    return services.Wiring(**values)  # type: ignore[arg-type]


def test_a_service_runs_as_a_process_with_pid_file_and_log_until_stopped(
    infrastructure: Infrastructure, own_home: Path
) -> None:
    wiring = _wiring(infrastructure)
    assert services.start(services.INTAKE, wiring) is True
    pid = services.running()["intake"]
    assert "motcua-intake" in _cmdline(pid) and "serve" in _cmdline(pid)
    assert services.health(services.INTAKE) == {"status": "ok"}
    assert services.start(services.INTAKE, wiring) is False  # already running: not a second copy
    assert list(services.running()) == ["intake"]
    assert (own_home / "logs" / "intake.log").read_text().strip()

    assert services.stop_all() == ["intake"]
    assert services.running() == {} and not (own_home / "run" / "intake.pid").exists()
    assert not Path(f"/proc/{pid}").exists()
    assert services.health(services.INTAKE) is None


def test_a_service_that_dies_at_start_up_is_reported_with_its_log(
    infrastructure: Infrastructure, own_home: Path
) -> None:
    broken = _wiring(infrastructure, mongodb_url="not-a-mongodb-url")
    with pytest.raises(StackError, match=r"intake exited during start-up; see .*intake\.log"):
        services.start(services.INTAKE, broken, timeout=60)
    assert services.running() == {}


def test_a_taken_port_is_refused_naming_the_variable_that_moves_it(
    infrastructure: Infrastructure, own_home: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", services.INTAKE.port()))
        taken.listen()
        with pytest.raises(StackError, match="MOTCUA_STACK_INTAKE_PORT"):
            services.start(services.INTAKE, _wiring(infrastructure))
    assert services.running() == {}


def test_instances_get_their_own_port_pid_file_and_the_shared_group() -> None:
    base = services.PROCESSING.port(0)
    assert services.PROCESSING.port(1) == base + services.PORT_STEP
    assert services.PROCESSING.process_name(1) == "processing.1"
    assert services.instance_of("processing.1") == (services.PROCESSING, 1)
    env = services.environment(services.PROCESSING, services.Wiring("k:1", "mongodb://m", topic_prefix="p."), 1)
    assert env["MOTCUA_PROCESSING_HTTP_PORT"] == str(base + services.PORT_STEP)
    assert env["MOTCUA_PROCESSING_CONSUMER_GROUP"] == "p.processing-service"
    assert env["MOTCUA_PROCESSING_TOPIC_PREFIX"] == "p." and env["MOTCUA_PROCESSING_MONGODB_DATABASE"] == (
        "motcua_processing"
    )


# --- topics and consumer lag ------------------------------------------------------------------------


async def test_topics_are_created_with_the_chosen_partition_count_and_only_grow(
    infrastructure: Infrastructure,
) -> None:
    run_topics = Topics(f"test-topics-{uuid.uuid4().hex[:8]}.")
    created = await topic_admin.ensure_topics(infrastructure.kafka_bootstrap_servers, run_topics, 2)
    assert created == {name: 2 for name in run_topics.all()}  # incl. every .dlq, not the broker's default
    grown = await topic_admin.ensure_topics(infrastructure.kafka_bootstrap_servers, run_topics, 4)
    assert grown == {name: 4 for name in run_topics.all()}
    kept = await topic_admin.ensure_topics(infrastructure.kafka_bootstrap_servers, run_topics, 1)
    assert kept == {name: 4 for name in run_topics.all()}  # Kafka cannot remove partitions


async def test_lag_counts_what_a_group_has_not_consumed(infrastructure: Infrastructure) -> None:
    run_topics = Topics(f"test-lag-{uuid.uuid4().hex[:8]}.")
    await topic_admin.ensure_topics(infrastructure.kafka_bootstrap_servers, run_topics, 2)
    producer = AIOKafkaProducer(bootstrap_servers=infrastructure.kafka_bootstrap_servers)
    await producer.start()
    try:
        await asyncio.gather(
            *[await producer.send(run_topics.dossier_events, b"{}", key=str(i).encode()) for i in range(5)]
        )
    finally:
        await producer.stop()
    names = [run_topics.dossier_events, run_topics.catalog_events]
    assert await topic_admin.lag(infrastructure.kafka_bootstrap_servers, "never-consumed", names) == 5
    assert (
        await topic_admin.wait_caught_up(infrastructure.kafka_bootstrap_servers, ["never-consumed"], names, patience=0)
        == 5
    )


# --- the load generator's plan and the demo window (no I/O) ---------------------------------------

EVENT_OF_STEP = {
    "accept": "dossier.accepted",
    "refuse": "dossier.refused",
    "request-supplement": "dossier.supplement_requested",
    "receive-supplement": "dossier.supplement_received",
    "supplements": "dossier.supplement_received",
    "request-payment": "dossier.payment_requested",
    "record-payment": "dossier.payment_completed",
    "payments/callback": "dossier.payment_completed",
    "suspend": "dossier.suspended",
    "resume": "dossier.resumed",
    "apology": "dossier.apology_issued",
    "result-ready": "dossier.result_ready",
    "return": "dossier.returned",
    "rating": "dossier.rated",
    "withdrawal": "dossier.withdrawn",
}


def test_the_load_plan_is_seeded_and_every_life_is_legal() -> None:
    from motcua_stack.histories import read_catalogue

    procedures = read_catalogue()["procedures"]
    scripts = load.plan(procedures, 400, seed=3)
    assert scripts == load.plan(list(reversed(procedures)), 400, seed=3)  # catalogue order does not matter
    assert scripts != load.plan(procedures, 400, seed=4)
    levels = {p["procedure_code"]: p["online_level"] for p in procedures}
    for script in scripts:
        status = next_status(None, "dossier.submitted")
        if script.channel != "online":
            status = next_status(status, "dossier.accepted")  # intake accepts counter and postal dossiers
        else:
            assert levels[script.procedure_code] >= 3
        for step in script.steps:
            status = next_status(status, EVENT_OF_STEP[step.action])
            assert step.then in (None, status.value)
        assert status.value == script.final_status
    finals = {script.final_status for script in scripts}
    assert {"returned", "refused", "withdrawn"} <= finals
    assert {s.channel for s in scripts} == {"online", "direct", "postal"}
    assert any(step.action == "rating" for s in scripts for step in s.steps)


def test_the_demo_spans_whole_months_up_to_today() -> None:
    assert demo.window(date(2026, 11, 23), 4) == (date(2026, 7, 1), date(2026, 11, 23))
    assert demo.window(date(2027, 2, 10), 4) == (date(2026, 10, 1), date(2027, 2, 10))
    assert demo.window(date(2027, 1, 1), 12) == (date(2026, 1, 1), date(2027, 1, 1))


def test_the_cache_can_live_outside_the_stack_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from motcua_stack import paths

    monkeypatch.setenv("MOTCUA_STACK_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MOTCUA_STACK_CACHE", raising=False)
    assert paths.cache_dir() == tmp_path / "home" / "cache"
    monkeypatch.setenv("MOTCUA_STACK_CACHE", str(tmp_path / "shared-cache"))
    assert paths.cache_dir() == tmp_path / "shared-cache"
    assert os.environ["MOTCUA_STACK_HOME"] == str(tmp_path / "home")


def test_a_store_that_listens_but_does_not_answer_is_named_by_status_and_the_fold_wait(tmp_path: Path) -> None:
    """A stalled FerretDB still accepts connections and answers nothing: `make status` and `make up`'s
    wait say so, naming the store and its log, instead of waiting in silence. (Frozen with SIGSTOP here.)"""
    from motcua_stack import stack, store
    from support.deployment import environ
    from support.private_stack import PrivateStore

    private = PrivateStore(tmp_path / "store-home")
    private.start()
    try:
        with environ(private._env()):
            assert store.answers(timeout=5)
            assert stack._store_silence() == ""
            pid = processes.running_pid(store.NAME)
            assert pid is not None
            os.kill(pid, signal.SIGSTOP)
            try:
                assert not store.answers(timeout=2)
                assert "NOT answering a ping" in stack.status()[store.NAME]
                said = stack._store_silence()
                assert f"at {private.mongodb_url}) does NOT answer a ping" in said and "store.log" in said
            finally:
                os.kill(pid, signal.SIGCONT)
            assert store.answers(timeout=10)
    finally:
        private.stop()
