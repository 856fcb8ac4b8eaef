"""Entry point: `motcua-reporting` (or `motcua-reporting serve`) serves the reports API and folds the
topics; `motcua-reporting rebuild` rebuilds the read models from offset zero."""

import argparse
import asyncio
import sys

from motcua_shared.service import load_settings, serve

from .bootstrap import create_app
from .config import Settings

__all__ = ["create_app", "main"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="motcua-reporting", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the reports API and fold the topics (the default)")
    commands.add_parser("rebuild", help="rebuild the read models from offset zero into a fresh generation")
    args = parser.parse_args(argv)

    settings = load_settings(Settings)
    if args.command == "rebuild":
        from .service_layer.rebuild import rebuild

        report = asyncio.run(rebuild(settings))
        print(
            f"rebuilt generation {report.generation}: {report.events} "
            f"({report.skipped_invalid} invalid records skipped)",
            file=sys.stderr,
        )
        return
    serve(create_app(settings), settings)
