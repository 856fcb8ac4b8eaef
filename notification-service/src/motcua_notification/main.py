"""Entry point: `motcua-notification` serves the notification API, consumes dossier and catalogue
events, and runs the dispatcher that sends (and retries) what they call for."""

import uvicorn
from motcua_shared.logs import setup_logging
from motcua_shared.observability.tracing import configure_tracing

from .bootstrap import create_app
from .config import Settings

__all__ = ["create_app", "main"]


def main() -> None:
    settings = Settings()
    setup_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name, env_prefix=str(Settings.model_config.get("env_prefix", "")))
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)
