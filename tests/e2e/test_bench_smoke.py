"""The benchmarks run as a user runs them (one command each, services as real processes) and print
their table: a tiny duration and rate, so each takes seconds. Their figures are not judged here, only
that every request offered was answered (or, for the summary, counted) and the table says so."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
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
            for row in lines[i + 2:]:
                if not row.startswith("| "):
                    break
                rows.append(dict(zip(header, (c.strip() for c in row.strip("|").split("|")), strict=True)))
            found.append(rows)
    return found


def run(script: str, infrastructure: Infrastructure) -> str:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap_servers,
           "MONGODB_URL": infrastructure.mongodb_url}
    done = subprocess.run([sys.executable, str(BENCH / script), "--duration", "2", "--rates", "2", "--warmup", "0"],
                          env=env, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize(("script", "targets"), [
    ("intake_throughput.py", ["echo", "intake"]),
    ("submit_to_summary.py", ["intake -> summary"]),
    ("service_memory.py", ["intake"]),
    ("store_round_trips.py", ["intake"]),
])
def test_the_benchmark_prints_its_table(infrastructure: Infrastructure, script: str, targets: list[str]) -> None:
    printed = tables(run(script, infrastructure))
    assert printed and list(printed[0][0]) == COLUMNS
    steps = printed[0]
    assert [step["target"] for step in steps] == targets
    for step in steps:  # 2 per second for 2 seconds: 4 offered, 4 answered, with latencies
        assert (step["offered/s"], step["ok"], step["errors"]) == ("2", "4", "0")
        assert 0 < float(step["p50 ms"]) <= float(step["max ms"])
    if script == "service_memory.py":
        memory = {row["service"]: row for row in printed[1]}
        assert set(memory) == {"intake", "processing", "reporting", "notification"}
        assert all(20 < int(row["idle"]) < 2000 for row in memory.values())
    if script == "store_round_trips.py":  # a submission reserves one code and records its key
        commands = {row["command collection"]: row for row in printed[1]}
        assert float(commands["insert dossier_codes"]["per submission"]) >= 1.0
        assert float(commands["insert idempotency_keys"]["per submission"]) == 1.0
