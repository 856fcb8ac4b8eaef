"""Entry point: `motcua-reporting` (or `motcua-reporting serve`) serves the reports API and folds the
topics; `motcua-reporting rebuild` rebuilds the read models from offset zero."""

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
    parser = argparse.ArgumentParser(prog="motcua-reporting", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the reports API and fold the topics (the default)")
    commands.add_parser("rebuild", help="rebuild the read models from offset zero into a fresh generation")
    args = parser.parse_args(argv)

    settings = Settings()
    setup_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name, env_prefix=str(Settings.model_config.get("env_prefix", "")))
    if args.command == "rebuild":
        from .rebuild import rebuild

        report = asyncio.run(rebuild(settings))
        print(f"rebuilt generation {report.generation}: {report.events} "
              f"({report.skipped_invalid} invalid records skipped)", file=sys.stderr)
        return
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)
