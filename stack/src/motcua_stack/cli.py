"""`motcua-stack up | down | status | env`: the native Kafka and store, without Docker."""

import argparse
import sys
import time

from . import stack
from .processes import StackError


def main() -> None:
    parser = argparse.ArgumentParser(prog="motcua-stack", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status", "env"])
    args = parser.parse_args()
    try:
        if args.command == "up":
            began = time.monotonic()
            endpoints = stack.ensure_running()
            print(f"Kafka at {endpoints.kafka_bootstrap_servers}, store at {endpoints.mongodb_url} "
                  f"(ready in {time.monotonic() - began:.1f}s)")
        elif args.command == "down":
            stopped = stack.stop()
            print("stopped: " + (", ".join(stopped) or "nothing was running"))
        elif args.command == "status":
            for name, state in stack.status().items():
                print(f"{name}: {state}")
        else:
            from . import kafka, store

            print(f"export KAFKA_BOOTSTRAP_SERVERS={kafka.bootstrap_servers()}")
            print(f"export MONGODB_URL={store.mongodb_url()}")
    except StackError as exc:
        print(f"motcua-stack: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
