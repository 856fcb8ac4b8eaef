"""The baseline: a bare FastAPI app that echoes the JSON body intake receives, served by uvicorn the
same way intake is (one process, no access log config), so the difference is intake's own work.

    uv run python bench/echo_app.py --port 8090"""

import argparse
from typing import Any

import uvicorn
from fastapi import FastAPI

app = FastAPI(title="echo")


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/v1/dossiers", status_code=201)
async def echo(body: dict[str, Any]) -> dict[str, Any]:
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_config=None)


if __name__ == "__main__":
    main()
