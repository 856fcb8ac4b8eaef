"""Entry point: `motcua-intake` (or `motcua-intake serve`) serves the intake API;
`motcua-intake load-catalog` publishes the sample catalogue on catalog.events."""

import argparse
import asyncio
import sys

import uvicorn
from motcua_shared.logs import setup_logging
from motcua_shared.observability.tracing import configure_tracing

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

    settings = Settings()
    setup_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name, env_prefix=str(Settings.model_config.get("env_prefix", "")))
    if args.command == "load-catalog":
        from .catalog_loader import load_catalogue

        counts = asyncio.run(load_catalogue(settings, args.file))
        print(f"published {counts['agencies']} agencies and {counts['procedures']} procedures "
              f"on {settings.topics.catalog_events}", file=sys.stderr)
        return
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)
