"""The web console (``/console``): server-rendered Jinja2 pages with htmx, in Chinese, usable on a phone."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"


class LoginRequired(Exception):
    """A console page was asked for without a valid session: go to the login page."""


def mount_console(app: FastAPI) -> None:
    """Add the console's routes, its static files and the login redirect."""
    from bot.console import pages

    app.include_router(pages.router)
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": "/console/login"})
        return RedirectResponse("/console/login", status_code=303)
