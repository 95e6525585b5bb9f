"""Console sessions, CSRF tokens and the login rate limit.

A console session is a signed cookie, not a server-side row: ``<payload>.<signature>`` where the payload
is base64url JSON ``{"t": token_id, "exp": unix_seconds, "n": nonce}`` and the signature is
HMAC-SHA256 over it with ``server.session_secret``. The cookie names the API token the person signed in
with, so revoking that token ends every session made from it (the token row is checked on each request).

The CSRF token of a session is ``HMAC(secret, "csrf:" + nonce)``: it is bound to the session, needs no
storage, and every unsafe request made with the cookie must echo it (form field ``csrf_token`` or header
``X-CSRF-Token``).

Login attempts are rate-limited in memory, per client IP and per token prefix (a sliding window of 60 s).
Memory, not the database: an attempt must not cost a write (that would make the limiter itself a way to
load the database), and tokens carry 256 bits, so the limit is against noise and log spam rather than a
real guessing threat. With several web processes, each keeps its own window, so the effective limit is
``processes × limit``; this is documented in docs/console.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections import deque
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from bot.settings import Settings

logger = logging.getLogger(__name__)

COOKIE_NAME = "weigrid_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class ConsoleConfig(BaseModel):
    """The ``console:`` section of config.yaml."""

    session_hours: float = Field(12.0, gt=0, le=24 * 30)
    login_attempts_per_minute: int = Field(5, ge=1, le=1000)
    secure_cookie: bool | None = None  # None: secure when server.public_url is https
    suggestion_keywords: list[str] = Field(
        default_factory=lambda: ["建议", "意见", "提议", "希望社区", "能不能", "可不可以"]
    )
    page_size: int = Field(50, ge=5, le=500)


def console_config(settings: Settings) -> ConsoleConfig:
    """The typed ``console`` section (defaults when empty)."""
    return ConsoleConfig.model_validate(settings.console or {})


_FALLBACK_SECRET = secrets.token_bytes(32)


def session_key(settings: Settings) -> bytes:
    """The key that signs sessions. Without ``server.session_secret``, a per-process random key is used
    (sessions then end on restart); production mode refuses to start without one."""
    value = settings.secret("server", "session_secret")
    if not value:
        return _FALLBACK_SECRET
    return hashlib.sha256(b"weigrid-session:" + value.encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    """A verified console session."""

    token_id: int
    expires_at: int
    nonce: str


def make_session(settings: Settings, *, token_id: int, now: float | None = None) -> tuple[str, Session]:
    """A new signed cookie value for ``token_id`` and the session it carries."""
    config = console_config(settings)
    session = Session(
        token_id=token_id,
        expires_at=int((time.time() if now is None else now) + config.session_hours * 3600),
        nonce=secrets.token_urlsafe(16),
    )
    payload = _b64(json.dumps({"t": token_id, "exp": session.expires_at, "n": session.nonce}).encode())
    signature = _b64(hmac.new(session_key(settings), payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{signature}", session


def read_session(settings: Settings, value: str | None, *, now: float | None = None) -> Session | None:
    """The session behind a cookie value, or None when it is missing, forged, malformed or expired."""
    if not value or len(value) > 512 or value.count(".") != 1:
        return None
    payload, signature = value.split(".")
    expected = _b64(hmac.new(session_key(settings), payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(signature, expected):
        return None
    try:
        data = json.loads(_unb64(payload))
        session = Session(token_id=int(data["t"]), expires_at=int(data["exp"]), nonce=str(data["n"]))
    except (ValueError, KeyError, TypeError):
        return None
    if session.expires_at < (time.time() if now is None else now):
        return None
    return session


def csrf_token(settings: Settings, session: Session) -> str:
    """The CSRF token bound to a session."""
    return _b64(hmac.new(session_key(settings), f"csrf:{session.nonce}".encode(), hashlib.sha256).digest())


def csrf_ok(settings: Settings, session: Session, given: str | None) -> bool:
    """Whether ``given`` is this session's CSRF token (constant-time)."""
    return bool(given) and hmac.compare_digest(str(given), csrf_token(settings, session))


@dataclass
class LoginLimiter:
    """A sliding one-minute window of login attempts per key (``ip:<addr>``, ``tok:<prefix>``)."""

    per_minute: int = 5
    window_s: float = 60.0
    _hits: dict[str, deque[float]] = field(default_factory=dict)

    def _prune(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        return hits

    def retry_after(self, keys: list[str], *, now: float | None = None) -> int:
        """Seconds to wait before another attempt is allowed for any of ``keys`` (0: allowed)."""
        now = time.monotonic() if now is None else now
        wait = 0.0
        for key in keys:
            hits = self._prune(key, now)
            if len(hits) >= self.per_minute:
                wait = max(wait, hits[0] + self.window_s - now)
        if len(self._hits) > 10_000:  # keep memory bounded under a spray of addresses
            for key in [k for k, v in self._hits.items() if not v]:
                del self._hits[key]
        return int(wait) + 1 if wait > 0 else 0

    def hit(self, keys: list[str], *, now: float | None = None) -> None:
        """Count one attempt against every key."""
        now = time.monotonic() if now is None else now
        for key in keys:
            self._prune(key, now).append(now)


def limiter_keys(ip: str | None, token: str) -> list[str]:
    """The rate-limit keys of one attempt: the client address and the token's first characters."""
    prefix = token.strip()[:10]
    return [f"ip:{ip or '?'}", f"tok:{prefix}"]
