"""Entry point: `motcua-notification` serves the notification API, consumes dossier and catalogue
events, and runs the dispatcher that sends (and retries) what they call for."""

from motcua_shared.service import run

from .bootstrap import create_app
from .config import Settings

__all__ = ["create_app", "main"]


def main() -> None:
    run(Settings, create_app)
