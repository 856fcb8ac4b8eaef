"""Entry point: `motcua-intake` serves the intake API."""

import uvicorn

from motcua_shared.api import create_app
from motcua_shared.logs import setup_logging

from .config import Settings

app = create_app(title="motcua intake-service")


def main() -> None:
    settings = Settings()
    setup_logging(settings.service_name, settings.log_level)
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_config=None)
