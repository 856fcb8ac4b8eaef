"""`motcua-intake serve` with a pymongo command listener: on SIGUSR1 it writes, to the file named by
MOTCUA_BENCH_STORE_COUNTS, how many times each store command ran on each collection and for how long
in total, then starts counting afresh. Used by bench/store_round_trips.py."""

import json
import os
import signal
from collections import defaultdict
from typing import Any

from pymongo import monitoring

counts: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
pending: dict[int, str] = {}


class Counter(monitoring.CommandListener):
    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pending[event.request_id] = f"{event.command_name} {event.command.get(event.command_name)}"

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._count(event.request_id, event.command_name, event.duration_micros)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._count(event.request_id, event.command_name + " (failed)", event.duration_micros)

    @staticmethod
    def _count(request_id: int, fallback: str, micros: int) -> None:
        entry = counts[pending.pop(request_id, fallback)]
        entry[0] += 1
        entry[1] += micros / 1e6


def dump(*_: Any) -> None:
    with open(os.environ["MOTCUA_BENCH_STORE_COUNTS"], "w") as out:
        json.dump(counts, out)
    counts.clear()


if __name__ == "__main__":
    monitoring.register(Counter())
    signal.signal(signal.SIGUSR1, dump)
    from motcua_intake.main import main

    main(["serve"])
