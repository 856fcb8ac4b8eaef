"""The README's first command: the real `motcua-stack up` (what `make up` runs) in a stack home and on
ports of its own, beside the run's broker and store. It starts Kafka, the store and the four services,
imports the demo data, prints URLs and tokens that work; the dashboard's API shows the demo; a second
`up` changes nothing; `down` leaves no process behind. Kafka's jars and the FerretDB build come from
the existing cache (MOTCUA_STACK_CACHE), so nothing is rebuilt."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from motcua_stack import paths, store

STACK = str(Path(sys.executable).parent / "motcua-stack")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (not reaped by its parent yet) is not running
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def token(output: str, role: str) -> str:
    found = re.search(rf"^\s+{re.escape(role)}\s+(\S+)$", output, re.MULTILINE)
    assert found, f"no {role} token in:\n{output}"
    return found.group(1)


def test_up_serves_the_demo_and_down_leaves_no_process(tmp_path: Path) -> None:
    home = tmp_path / "stack"
    ports = {
        name: free_port()
        for name in (
            "KAFKA",
            "KAFKA_CONTROLLER",
            "STORE",
            "POSTGRES",
            "INTAKE",
            "PROCESSING",
            "NOTIFICATION",
            "REPORTING",
        )
    }
    env = {
        **os.environ,
        "MOTCUA_STACK_HOME": str(home),
        "MOTCUA_STACK_CACHE": str(paths.cache_dir()),
        "MOTCUA_DEMO_DOSSIERS": "40",
        "MOTCUA_STACK_FOLD_SECONDS": "150",
    }
    env |= {f"MOTCUA_STACK_{name}_PORT": str(port) for name, port in ports.items()}
    url = {
        name.lower(): f"http://127.0.0.1:{ports[name]}"
        for name in ("INTAKE", "PROCESSING", "NOTIFICATION", "REPORTING")
    }
    pids: dict[str, int] = {}
    try:
        began = time.monotonic()
        first = subprocess.run([STACK, "up", "--burst", "2"], env=env, capture_output=True, text=True, timeout=400)
        output = first.stdout + first.stderr
        assert first.returncode == 0, output
        pids = {path.stem: int(path.read_text()) for path in (home / "run").glob("*.pid")}
        assert set(pids) == {"kafka", *store.process_names(), "intake", "processing", "notification", "reporting"}, pids
        assert all(alive(pid) for pid in pids.values())
        print(f"up took {time.monotonic() - began:.0f}s")

        # The URLs it printed answer, each service's docs and the dashboard.
        for name, base in url.items():
            assert f"{base}/docs" in output
            assert httpx.get(f"{base}/health", timeout=10).status_code == 200, name
            assert httpx.get(f"{base}/docs", timeout=10).status_code == 200, name
        assert f"{url['reporting']}/dashboard" in output
        dashboard = httpx.get(f"{url['reporting']}/dashboard", timeout=10)
        assert dashboard.status_code == 200 and "<html" in dashboard.text.lower()

        # The printed official's token reads the demo figures: dossiers by every channel, results, ratings.
        window = re.search(r"demo data: 40 dossiers \((\d+) events\) from (\S+) to (\S+), imported now", output)
        assert window, output
        official = {"Authorization": f"Bearer {token(output, 'official')}"}
        summary = httpx.get(
            f"{url['reporting']}/v1/reports/summary",
            headers=official,
            timeout=30,
            params={"from": window.group(2), "to": window.group(3)},
        ).json()
        received = summary["received"]
        assert received["total"] >= 30, summary
        assert sum(c["count"] for c in received["by_channel"].values()) == received["total"]
        assert received["by_channel"]["direct"]["count"] > 0 and received["by_channel"]["online"]["count"] > 0
        assert summary["resolved"]["total"] > 0 and summary["satisfaction"]["total"] > 0
        assert summary["by_agency"] and summary["by_agency"][0]["received"] > 0

        # The printed officer's token works on processing (its agency's inbox).
        officer = {"Authorization": f"Bearer {token(output, 'officer (STNMT)')}"}
        assert httpx.get(f"{url['processing']}/v1/inbox", headers=officer, timeout=30).status_code == 200

        # Again: nothing restarted, the demo not imported twice.
        again = subprocess.run([STACK, "up"], env=env, capture_output=True, text=True, timeout=200)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "imported earlier" in again.stdout and "started now: none" in again.stdout
        assert {path.stem: int(path.read_text()) for path in (home / "run").glob("*.pid")} == pids
        status = subprocess.run([STACK, "status"], env=env, capture_output=True, text=True, timeout=60).stdout
        for name in pids:
            assert re.search(rf"^{name}: running \(pid {pids[name]}\)", status, re.MULTILINE), status
    finally:
        pids |= {path.stem: int(path.read_text()) for path in (home / "run").glob("*.pid")}
        down = subprocess.run([STACK, "down"], env=env, capture_output=True, text=True, timeout=200)
        left = {name: pid for name, pid in pids.items() if alive(pid)}
        for pid in left.values():  # never leave our processes to the next test
            os.kill(pid, 9)
    assert down.returncode == 0, down.stdout + down.stderr
    assert not left, f"still running after down: {left}"
    assert not list((home / "run").glob("*.pid"))
    assert not [name for name, port in ports.items() if listening(port)]
