"""`motcua-stack up | down | status | env | load | infra`: motcua on this machine, without Docker.

up      Kafka, the store, the topics, the four services, the sample catalogue and the demo data
down    stop every process `up` started (services, store, Kafka)
status  what runs
env     the broker and store addresses, as shell exports
load    the demo and load generator: submissions and officers' actions through the real APIs
infra   only Kafka and the store (what the tests need)"""

import argparse
import asyncio
import sys
import time

from . import services, stack
from .processes import StackError


def _instances(text: str) -> dict[str, int]:
    """`processing=2,reporting=2` -> {"processing": 2, "reporting": 2}."""
    counts = {}
    for part in filter(None, text.split(",")):
        name, _, number = part.partition("=")
        if name not in services.BY_NAME or not number.isdigit() or int(number) < 1:
            raise argparse.ArgumentTypeError(f"expected service=count (services: {', '.join(services.BY_NAME)})")
        counts[name] = int(number)
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="motcua-stack", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["up", "down", "status", "env", "load", "infra"])
    parser.add_argument("--no-demo", action="store_true", help="up: skip the demo data and the live burst")
    parser.add_argument(
        "--burst",
        type=float,
        default=10.0,
        help="up: seconds of live load after a first demo import (default 10; 0: none)",
    )
    parser.add_argument(
        "--instances",
        type=_instances,
        default={},
        help="up: instances per service, e.g. processing=2,reporting=2 (at most the partitions)",
    )
    parser.add_argument("--rate", type=float, default=2.0, help="load: dossiers submitted per second")
    parser.add_argument("--duration", type=float, default=30.0, help="load: seconds of submissions")
    parser.add_argument("--seed", type=int, default=None, help="load: seed of the dossiers' lives (default: random)")
    parser.add_argument("--think", type=float, default=0.5, help="load: mean seconds between a dossier's steps")
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            stack.up(demo_data=not args.no_demo, burst_seconds=args.burst, instances=args.instances)
        elif args.command == "infra":
            began = time.monotonic()
            endpoints = stack.ensure_running()
            print(
                f"Kafka at {endpoints.kafka_bootstrap_servers}, store at {endpoints.mongodb_url} "
                f"(ready in {time.monotonic() - began:.1f}s)"
            )
        elif args.command == "down":
            stopped = stack.stop()
            print("stopped: " + (", ".join(stopped) or "nothing was running"))
        elif args.command == "status":
            for name, state in stack.status().items():
                print(f"{name}: {state}")
        elif args.command == "load":
            from . import load

            seed = args.seed if args.seed is not None else int(time.time())
            stats = asyncio.run(
                load.run(
                    services.INTAKE.url(),
                    services.PROCESSING.url(),
                    stack.settings().jwt_secret.get_secret_value(),
                    rate=args.rate,
                    duration=args.duration,
                    seed=seed,
                    think_seconds=args.think,
                )
            )
            print(stats.summary())
            if stats.failures:
                sys.exit(1)
        else:
            from . import kafka, store

            print(f"export KAFKA_BOOTSTRAP_SERVERS={kafka.bootstrap_servers()}")
            print(f"export MONGODB_URL={store.mongodb_url()}")
    except StackError as exc:
        print(f"motcua-stack: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
