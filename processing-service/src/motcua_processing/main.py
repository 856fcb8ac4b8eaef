"""Entry point: `motcua-processing` serves the processing API, consumes dossier and catalogue
events, and runs the clock."""

from motcua_shared.service import run

from .bootstrap import create_app
from .config import Settings

__all__ = ["create_app", "main"]


def main() -> None:
    run(Settings, create_app)
