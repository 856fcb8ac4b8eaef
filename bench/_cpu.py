"""Where a step's CPU went, by process, per request: the target app, the store (FerretDB or mongod, and
PostgreSQL under FerretDB), Kafka, this benchmark's own process (the load generator) and the whole
machine. A ceiling says how much a target serves; this says what each request costs every process on
the machine, which is what bounds a ceiling on a small machine (issue 16: "what bounds it").

Read from /proc (Linux): user + system time of every process whose command line matches a group, and
the busy time of all CPUs. Processes in containers of another machine (testcontainers, a remote
broker) are not seen: their groups read 0, and only the machine's figure covers them when local."""

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# The shared parts, by command line. PostgreSQL's backends are forked with titles of their own
# ("postgres: …"), so they match too.
SHARED_GROUPS: dict[str, re.Pattern[str]] = {
    "store": re.compile(r"ferretdb|mongod|postgres"),
    "kafka": re.compile(r"kafka\.Kafka"),
}
GENERATOR = "generator"
MACHINE = "machine"


@dataclass(frozen=True)
class CpuSnapshot:
    ticks: dict[str, int]  # group -> CPU ticks of its processes so far (MACHINE: all CPUs' busy ticks)


def _process_ticks(pid: str) -> tuple[int, str] | None:
    """(user + system ticks, command line) of a process, None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the name, in parentheses, may hold spaces
    return int(fields[11]) + int(fields[12]), command


def _machine_busy_ticks() -> int:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    # user, nice, system, (idle, iowait), irq, softirq: not steal (the hypervisor's, not this
    # machine's work) nor guest (counted in user already)
    return sum(fields[:7]) - fields[3] - fields[4]


def snapshot(apps: Mapping[str, re.Pattern[str]]) -> CpuSnapshot | None:
    """CPU ticks so far of each app (label -> command-line pattern), each shared group, this process
    and the machine; None where there is no /proc."""
    if not Path("/proc/stat").exists():
        return None
    groups = {**apps, **SHARED_GROUPS}
    ticks = dict.fromkeys([*groups, GENERATOR], 0)
    me = str(os.getpid())
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        found = _process_ticks(entry.name)
        if found is None:
            continue
        used, command = found
        if entry.name == me:
            ticks[GENERATOR] += used
            continue
        for group, pattern in groups.items():  # the first that matches: apps before the shared parts
            if pattern.search(command):
                ticks[group] += used
                break
    ticks[MACHINE] = _machine_busy_ticks()
    return CpuSnapshot(ticks)


def per_request_ms(before: CpuSnapshot, after: CpuSnapshot, requests: int) -> dict[str, float]:
    """Milliseconds of CPU per request of each group between two snapshots. A process that ended in
    between drops its ticks, so a group can read less than it used: take steps its processes outlive."""
    if requests <= 0:
        return {}
    return {
        group: max(after.ticks.get(group, 0) - used, 0) * 1000 / TICKS_PER_SECOND / requests
        for group, used in before.ticks.items()
    }


SHARED_COLUMNS = [*SHARED_GROUPS, GENERATOR, MACHINE]  # of a split table, after its apps' columns


def split_row(apps: Sequence[str], split: Mapping[str, float]) -> list[str]:
    """A split's figures: the `apps` (their groups) in that order, then SHARED_COLUMNS."""
    return [f"{split[group]:.2f}" if group in split else "-" for group in (*apps, *SHARED_COLUMNS)]
