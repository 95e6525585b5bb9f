"""What every inbound endpoint shares: bounded body reads, clock-skew checks, signature parameters.

The message-receiving ``POST`` endpoints are plain functions (``Request`` in, ``Response`` out)
served by ``bot/webhooks/fastpath.py``, not FastAPI routes: they read their few query parameters
and headers themselves, because FastAPI's per-request machinery cost ~40% of a webhook request's
CPU in bench/ingest.py. URL verification (``GET``) stays a FastAPI route. Both paths refuse bad input with the same :class:`BadInput` errors.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, status

logger = logging.getLogger(__name__)


class BadInput(HTTPException):
    """A 4xx for input we refuse; the body says why, in one JSON shape."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(status_code=status_code, detail={"code": code, "message": message})


async def read_body(request: Request, limit: int) -> bytes:
    """Read the request body, refusing more than ``limit`` bytes without buffering the excess."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise BadInput(status.HTTP_413_CONTENT_TOO_LARGE, "too_large", f"body over {limit} bytes")
        except ValueError:
            raise BadInput(400, "bad_length", "Content-Length is not a number") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadInput(status.HTTP_413_CONTENT_TOO_LARGE, "too_large", f"body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def decode_utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(400, "not_utf8", "body is not valid UTF-8") from None


def check_timestamp(raw: str | None, max_skew_s: int) -> int:
    """Parse a unix-seconds timestamp and refuse one further than ``max_skew_s`` from now (0: no check)."""
    if raw is None or raw == "":
        raise BadInput(400, "missing_timestamp", "timestamp is missing")
    try:
        ts = int(raw)
    except ValueError:
        raise BadInput(400, "bad_timestamp", "timestamp is not an integer") from None
    if max_skew_s > 0 and abs(time.time() - ts) > max_skew_s:
        raise BadInput(403, "stale_timestamp", f"timestamp is more than {max_skew_s}s away from now")
    return ts


@dataclass(frozen=True)
class SignedQuery:
    """The query parameters WeCom signs every callback with (app and robot alike)."""

    msg_signature: str
    timestamp: str
    nonce: str


def signed_params(request: Request) -> SignedQuery:
    """Read the signature parameters and refuse a stale timestamp (``wecom.max_clock_skew_s``).

    A missing ``msg_signature`` or ``nonce`` is a missing signature (403); a missing, malformed or
    stale ``timestamp`` is refused by :func:`check_timestamp`; an over-long parameter is 400.
    The message routes call it directly; URL verification gets it as a dependency (``Signed``).
    """
    params = request.query_params
    signature, nonce = params.get("msg_signature"), params.get("nonce")
    if not signature or not nonce:
        raise BadInput(403, "bad_signature", "msg_signature and nonce are required")
    timestamp = params.get("timestamp")
    if len(signature) > 128 or len(nonce) > 128 or (timestamp is not None and len(timestamp) > 20):
        raise BadInput(400, "bad_query", "a signature parameter is too long")
    check_timestamp(timestamp, request.app.state.settings.wecom.max_clock_skew_s)
    return SignedQuery(signature, str(timestamp), nonce)


async def signed_query(request: Request) -> SignedQuery:
    """:func:`signed_params` as a FastAPI dependency (``async``: a plain ``def`` would run in a thread)."""
    return signed_params(request)


Signed = Annotated[SignedQuery, Depends(signed_query)]
Echo = Annotated[str, Query(max_length=1024, description="the encrypted echo string to decrypt")]
