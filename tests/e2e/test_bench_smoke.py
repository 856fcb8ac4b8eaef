"""The benchmarks run as a user runs them (one command each, services as real processes) and print
their table: a tiny duration and rate, so each takes seconds. Their figures are not judged here, only
that every request offered was answered (or, for the summary, counted) and the table says so.
`import_quarter.py` runs against a running stack: here the four services of a deployment of its own."""

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from motcua_stack import services
from motcua_stack import topics as topic_admin
from pymongo import MongoClient
from support.deployment import Deployment
from support.infrastructure import Infrastructure

BENCH = Path(__file__).parents[2] / "bench"
COLUMNS = ["target", "offered/s", "achieved/s", "ok", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms"]


def tables(output: str) -> list[list[dict[str, str]]]:
    """The Markdown tables printed, as rows keyed by header."""
    found: list[list[dict[str, str]]] = []
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("| ") and i + 1 < len(lines) and lines[i + 1].startswith("| --"):
            header = [cell.strip() for cell in line.strip("|").split("|")]
            rows = []
            for row in lines[i + 2 :]:
                if not row.startswith("| "):
                    break
                rows.append(dict(zip(header, (c.strip() for c in row.strip("|").split("|")), strict=True)))
            found.append(rows)
    return found


def run(script: str, infrastructure: Infrastructure) -> str:
    # service_memory.py offers half of the ceiling it is told: 2/s as the others.
    load = ["--half-of", "4"] if script == "service_memory.py" else ["--rates", "2"]
    return run_script(script, infrastructure, ["--duration", "2", *load, "--warmup", "0"])


def run_script(script: str, infrastructure: Infrastructure, args: list[str]) -> str:
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap_servers,
        "MONGODB_URL": infrastructure.mongodb_url,
    }
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize(
    ("script", "targets"),
    [
        ("submit_to_summary.py", ["intake -> summary"]),
        ("service_memory.py", ["intake"]),
        ("store_round_trips.py", ["intake"]),
    ],
)
def test_the_benchmark_prints_its_table(infrastructure: Infrastructure, script: str, targets: list[str]) -> None:
    printed = tables(run(script, infrastructure))
    assert printed and list(printed[0][0]) == COLUMNS
    steps = printed[0]
    assert [step["target"] for step in steps] == targets
    for step in steps:  # 2 per second for 2 seconds: 4 offered, 4 answered, with latencies
        assert (step["offered/s"], step["ok"], step["errors"]) == ("2", "4", "0")
        assert 0 < float(step["p50 ms"]) <= float(step["max ms"])
    if script == "submit_to_summary.py":  # and what each submission cost each process
        assert list(printed[1][0]) == [*COLUMNS[:2], "intake", "reporting", "store", "kafka", "generator", "machine"]
        assert float(printed[1][0]["intake"]) > 0 and float(printed[1][0]["reporting"]) > 0
    if script == "service_memory.py":
        memory = {row["service"]: row for row in printed[1]}
        assert set(memory) == {"intake", "processing", "reporting", "notification"}
        assert all(20 < int(row["idle"]) < 2000 for row in memory.values())
        goals = {row["service"]: row for row in printed[2]}
        assert set(goals) == set(memory)
        assert all(row["goal MB"] == "<= 150" and row["goal"] in {"met", "missed"} for row in goals.values())
    if script == "store_round_trips.py":  # a submission records its key once; its code comes from a block
        commands = {row["command collection"]: row for row in printed[1]}
        assert float(commands["insert idempotency_keys"]["per submission"]) == 1.0
        blocks = commands.get("insert dossier_code_blocks", {"per submission": "0"})
        assert float(blocks["per submission"]) < 1.0


def test_the_throughput_benchmark_finds_each_ceiling_beside_the_two_echoes(infrastructure: Infrastructure) -> None:
    # A tiny search: 2/s then 4/s (the --max-rate) for each target, a p99 limit no step can miss on a
    # busy machine; the bisection itself is checked below with steps of known outcome.
    done = run_script(
        "intake_throughput.py",
        infrastructure,
        [
            *("--duration", "1", "--start", "2", "--max-rate", "4", "--warmup", "0"),
            *("--p99-ms", "60000", "--min-requests", "1", "--quiet-within", "3"),
        ],
    )
    steps, ceilings = tables(done)
    assert [(s["target"], s["offered/s"], s["ok"], s["errors"]) for s in steps] == [
        (target, rate, ok, "0")
        for target in ("echo", "durable echo", "intake")
        for rate, ok in (("2", "2"), ("4", "4"))
    ]
    assert {row["target"]: row["ceiling"] for row in ceilings} == {
        target: ">= 4/s (held at --max-rate)" for target in ("echo", "durable echo", "intake")
    }
    assert "ratio: intake ceiling / durable echo ceiling = 1.00 (4 / 4), goal >= 0.7: met" in done
    assert "ratio: intake ceiling / echo ceiling = 1.00 (4 / 4)" in done
    assert re.search(r"^machine: \d+ cores.*(FerretDB|mongod).*Kafka .*commit \w+", done, re.MULTILINE), done


async def test_the_ceiling_search_doubles_then_bisects_to_the_highest_rate_held() -> None:
    sys.path.insert(0, str(BENCH))
    from _load import Limit, Sample, Step, find_ceiling

    asked: list[float] = []

    async def server_holding_up_to_130(rate: float) -> Step:  # p99 of 10 ms up to 130/s, 500 ms above
        asked.append(rate)
        latency = 0.010 if rate <= 130 else 0.500
        return Step("fake", rate, 1.0, [Sample(0.0, latency, 201) for _ in range(100)])

    ceiling = await find_ceiling("fake", server_holding_up_to_130, start=20, max_rate=1000, limit=Limit())
    assert asked == [20, 40, 80, 160, 160, 120, 140, 140, 130]  # a rate fails on its second failed step
    assert (ceiling.held, ceiling.failed) == (130, 140)
    assert ceiling.describe() == "130/s (failed at 140/s)"

    asked.clear()
    nothing = await find_ceiling("fake", server_holding_up_to_130, start=400, max_rate=1000, limit=Limit())
    assert asked[:5] == [400, 400, 200, 200, 100]  # halved until one holds, then bisected upwards
    assert nothing.held is not None and 120 <= nothing.held <= 130


async def test_an_overloaded_step_stops_early_and_counts_as_failed() -> None:
    sys.path.insert(0, str(BENCH))
    from _load import Limit, open_loop

    async def slow(i: int) -> int:  # every answer 300 ms late: no step can hold a 100 ms p99
        await asyncio.sleep(0.3)
        return 201

    began = asyncio.get_running_loop().time()
    step = await open_loop("slow", 50, 10.0, slow, give_up_over=0.1)
    assert asyncio.get_running_loop().time() - began < 2.0  # not the 10 s offered
    assert step.abandoned and not Limit().held(step)
    assert 0 < step.offered < 500 and step.errors["abandoned"] > 0


def test_a_small_quarter_is_imported_and_every_group_catches_up(infrastructure: Infrastructure, tmp_path: Path) -> None:
    deployment = Deployment(
        "quarter",
        {service.name: 1 for service in services.ALL},
        tmp_path / "stack",
        infrastructure,
        topic_family="bench",
    )
    prefix = deployment.topics.prefix
    asyncio.run(topic_admin.ensure_topics(infrastructure.kafka_bootstrap_servers, deployment.topics, 3))
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap_servers,
        "MONGODB_URL": infrastructure.mongodb_url,
        "MOTCUA_STACK_TOPIC_PREFIX": prefix,
        "MOTCUA_STACK_HOME": str(deployment.home),
    }
    env |= {f"MOTCUA_STACK_{name.upper()}_PORT": str(port) for name, port in deployment.ports.items()}
    try:
        deployment.start()
        done = subprocess.run(
            [
                sys.executable,
                str(BENCH / "import_quarter.py"),
                "--dossiers",
                "40",
                "--months",
                "1",
                "--patience",
                "90",
                "--settle",
                "30",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        print(done.stdout)
    finally:
        deployment.stop()
        deployment.drop_databases()
        with MongoClient(infrastructure.mongodb_url, serverSelectionTimeoutMS=5_000) as client:
            client["motcua_stack"]["imports"].delete_many({"_id": {"$regex": f"^quarter:{re.escape(prefix)}:"}})
        asyncio.run(_delete_topics(infrastructure.kafka_bootstrap_servers, deployment.topics.all()))

    machine, published, groups = tables(done.stdout)
    assert {row["machine"] for row in machine} >= {"cores", "CPU", "RAM", "store"}
    sent = {row["published"].split(" on ")[0]: row for row in published}
    events = int(sent["dossier events"]["events"].replace(",", ""))
    assert events > 40 and float(sent["dossier events"]["events/s"].replace(",", "")) > 0
    rows = {row["group"]: row for row in groups}
    assert set(rows) == {prefix + service.consumer_group for service in services.ALL}
    for name, row in rows.items():  # every group caught up, having folded at least the import
        assert not row["caught up after s"].startswith("not caught up"), (name, done.stdout)
        assert float(row["caught up after s"]) > 0 and float(row["events/s"].replace(",", "")) > 0, row
        assert int(row["to fold"].replace(",", "")) >= events, row
    assert "reporting's summary for the quarter: 40 dossiers received, 40 imported" in done.stdout, done.stdout


async def _delete_topics(bootstrap_servers: str, names: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        await admin.delete_topics(names)
    finally:
        await admin.close()


def test_the_summary_latency_benchmark_prints_each_shape_pass_and_the_goal(infrastructure: Infrastructure) -> None:
    # 100 dossiers, a few queries in each pass: the table's shape, not its figures.
    out = run_script(
        "reporting_summary_latency.py",
        infrastructure,
        ["--sizes", "100", "--pool", "100", "--queries", "6", "--warmup", "6", "--duration", "30"],
    )
    rows = tables(out)[0]
    assert list(rows[0]) == [
        "dossiers", "counters", "fill s", "pass", "shape", "queries", "p50 ms", "p95 ms", "p99 ms", "CPU p50 ms",
    ]  # fmt: skip
    shapes = ["quarter", "month", "span", "with agency", "with level", "all"]
    passes = ("from the store", "kept", "after one claim")
    assert [(r["pass"], r["shape"]) for r in rows] == [(p, s) for p in passes for s in shapes]
    assert all(r["queries"] == "6" for r in rows if r["shape"] == "all")
    assert "machine:" in out and "machine after:" in out
    assert "goal: summary p99 <= 20 ms at 1,000,000 dossiers" in out


def test_the_in_or_each_benchmark_prints_each_read_with_both_times(infrastructure: Infrastructure) -> None:
    out = run_script("store_in_or_each.py", infrastructure, ["--dossiers", "50", "--repeat", "1", "--rounds", "1"])
    rows = tables(out)[0]
    assert [r["read"] for r in rows] == [
        "clock: running and due", "hand-over: an agency's open", "inbox: first page", "templates: 12 of 16 versions",
    ]  # fmt: skip
    assert all(float(r["$in ms"]) > 0 and float(r["each ms"]) > 0 for r in rows)
    assert "machine:" in out and "machine after:" in out


@pytest.mark.parametrize(
    ("script", "ratio"),
    [
        ("reporting_rebuild_rate.py", "ratio: rebuild events/s / raw insert docs/s = "),
        ("processing_fold_rate.py", "ratio = 10%-90% ev/s / raw insert docs/s"),
        ("notification_fold_rate.py", "ratio: notification historical fold events/s / raw insert docs/s = "),
        ("intake_fold_rate.py", "raw insert docs/s"),
        ("processing_clock_rate.py", "ratio chunks / one at a time: "),
    ],
)
def test_each_fold_benchmark_folds_a_few_dossiers_and_prints_its_ratio(
    infrastructure: Infrastructure, script: str, ratio: str
) -> None:
    # A benchmark nobody runs breaks quietly (one import did): each runs here on 10 dossiers.
    out = run_script(script, infrastructure, ["--dossiers", "10"])
    assert ratio in out
    if script != "processing_clock_rate.py":
        assert "machine:" in out


def test_fixed_throughput_steps_say_what_each_request_cost_each_process(infrastructure: Infrastructure) -> None:
    done = run_script(
        "intake_throughput.py",
        infrastructure,
        ["--rates", "10", "--duration", "2", "--warmup", "0", "--targets", "intake,durable echo"],
    )
    steps, split = tables(done)
    assert [(s["target"], s["ok"]) for s in steps] == [("intake", "20"), ("durable echo", "20")]
    assert list(split[0]) == ["target", "offered/s", "the app", "store", "kafka", "generator", "machine"]
    by_target = {
        row["target"]: {k: float(v) for k, v in row.items() if k not in ("target", "offered/s")} for row in split
    }
    assert set(by_target) == {"intake", "durable echo"}
    for cost in by_target.values():  # ms per request: each app works for its requests, within the machine's
        assert 0 < cost["the app"] <= cost["machine"] + 1  # ticks of 10 ms: +1 for the rounding
