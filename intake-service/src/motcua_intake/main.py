"""Entry point: `motcua-intake` (or `motcua-intake serve`) serves the intake API;
`motcua-intake load-catalog` publishes the sample catalogue on catalog.events."""

import argparse
import asyncio
import sys

from motcua_shared.service import load_settings, serve

from .bootstrap import create_app
from .config import Settings

__all__ = ["create_app", "main"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="motcua-intake", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the intake API (the default)")
    load = commands.add_parser("load-catalog", help="publish the sample catalogue on catalog.events")
    load.add_argument("--file", help="a catalogue JSON file (default: the sample shipped with intake)")
    args = parser.parse_args(argv)

    settings = load_settings(Settings)
    if args.command == "load-catalog":
        from .catalog_loader import load_catalogue

        counts = asyncio.run(load_catalogue(settings, args.file))
        print(
            f"published {counts['agencies']} agencies and {counts['procedures']} procedures "
            f"on {settings.topics.catalog_events}",
            file=sys.stderr,
        )
        return
    serve(create_app(settings), settings)
