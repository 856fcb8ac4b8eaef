"""GET /dashboard: the officials' dashboard, a static page calling the reports API."""

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["dashboard"])


@router.get("/dashboard", response_class=HTMLResponse)
async def get_dashboard() -> HTMLResponse:
    """The dashboard page (HTML + inline JS and SVG charts, no external resources)."""
    page = files("motcua_reporting").joinpath("static/dashboard.html").read_text(encoding="utf-8")
    return HTMLResponse(page)
