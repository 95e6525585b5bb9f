"""The one JSON error shape, ``{"error": {"code", "message", ...}}``, and how an HTTP error is rendered."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The one JSON error shape: ``{"error": {"code", "message", ...}}``."""
    return {"error": {"code": code, "message": message, **extra}}


def http_error_response(exc: StarletteHTTPException) -> JSONResponse:
    """An HTTP error as a response: ``detail={"code", "message"}`` keeps its code, anything else gets ``http_<status>``."""
    detail = exc.detail
    if isinstance(detail, dict) and "code" in detail:
        body = error_body(str(detail["code"]), str(detail.get("message", "")))
    else:
        body = error_body(f"http_{exc.status_code}", str(detail))
    return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))
