"""A fake WeCom API (plus group robots, intelligent-robot response_url and a bridge) over real HTTP.

Usage::

    from tests.fakes.wecom import running_fake_wecom

    async with running_fake_wecom(robot_limit=(20, 60.0), fail_rate=0.3, seed=1) as fake:
        settings = make_settings(db_url, tmp, wecom={"enabled": True, "api_base": fake.url})
        ...                                  # run the outbox worker against fake.url
        fake.force_expire_tokens()           # the next call answers 42001, the client must refresh
        assert fake.received[0].target == "gm1" and "工单" in fake.received[0].body
        assert fake.counters["rate_limited"] == 0   # 45009 answered when a published limit is broken

It serves ``/cgi-bin/gettoken``, ``/cgi-bin/message/send``, ``/cgi-bin/appchat/send``, ``/cgi-bin/webhook/send``,
``/cgi-bin/aibot/response`` and ``/bridge/send`` on 127.0.0.1:<free port> (plus ``/_fake/stats`` and
``/_fake/control`` to drive a fake running in another process, as bench/broadcast.py does), answering with WeCom's
``{"errcode", "errmsg"}`` JSON (HTTP 200 even for errors, as the real API does). Limits are sliding windows.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import random
import socket
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

OK = {"errcode": 0, "errmsg": "ok"}


@dataclass
class Delivered:
    """One message the fake accepted and "delivered"."""

    api: str  # "message" | "appchat" | "robot" | "response" | "bridge"
    target: str  # userid, chatid, robot key, response code, or room id
    body: str
    msgtype: str
    at: float
    payload: dict[str, Any]


@dataclass
class FakeWeCom:
    """The fake's state and knobs. Change knobs at any time; they apply to the next request."""

    corp_id: str = "wwtestcorp0000001"
    corp_secret: str | None = None  # None: any secret is accepted
    agent_id: int | None = None  # None: any agentid is accepted
    token_ttl: int = 7200
    enforce_limits: bool = True
    robot_limit: tuple[int, float] = (20, 60.0)  # per robot key
    user_limits: tuple[tuple[int, float], ...] = ((30, 60.0), (1000, 3600.0))  # per member, message/send
    appchat_limit: tuple[int, float] = (20000, 60.0)  # person-times per company
    chat_members: int = 100  # members per app chat (for person-times)
    fail_rate: float = 0.0  # share of send calls answered with HTTP 502
    timeout_rate: float = 0.0  # share of send calls that deliver, then hang (the client sees a read timeout)
    hang_s: float = 3.0
    delay_s: float = 0.0  # added latency on every send call (to catch a broadcast mid-way)
    busy_rate: float = 0.0  # share of send calls answered errcode -1 (系统繁忙)
    invalid_users: set[str] = field(default_factory=set)
    chatids: set[str] | None = None  # None: any chatid exists
    invalid_chatids: set[str] = field(default_factory=set)
    robot_keys: set[str] | None = None  # None: any key is valid
    invalid_keys: set[str] = field(default_factory=set)
    bridge_secret: str | None = None  # None: signatures are not checked
    seed: int | None = None
    url: str = ""
    received: list[Delivered] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.tokens: dict[str, float] = {}  # token -> expires (monotonic)
        self.windows: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self.response_codes: dict[str, float] = {}  # code -> expires (monotonic); used codes are removed
        self.dup_seen: dict[tuple[str, str], float] = {}

    # -- knobs ---------------------------------------------------------------------------------
    def force_expire_tokens(self) -> None:
        """Every issued token now answers 42001 (access_token expired)."""
        now = time.monotonic()
        for token in self.tokens:
            self.tokens[token] = now - 1

    def new_response_url(self, ttl_s: float = 3600.0) -> str:
        """A fresh intelligent-robot response_url (one call, valid ``ttl_s``)."""
        code = f"rc{len(self.response_codes)}{self.rng.randrange(10**9)}"
        self.response_codes[code] = time.monotonic() + ttl_s
        return f"{self.url}/cgi-bin/aibot/response?response_code={code}"

    def targets(self, api: str | None = None) -> list[str]:
        return [d.target for d in self.received if api is None or d.api == api]

    # -- helpers -------------------------------------------------------------------------------
    def _within(self, key: tuple[str, str], limit: tuple[int, float], cost: int = 1) -> bool:
        """Sliding-window check; records ``cost`` events when allowed."""
        count, window = limit
        now = time.monotonic()
        q = self.windows[key]
        while q and q[0] <= now - window:
            q.popleft()
        if len(q) + cost > count:
            return False
        q.extend([now] * cost)
        return True

    def _token_error(self, request: Request) -> dict[str, Any] | None:
        token = request.query_params.get("access_token", "")
        expires = self.tokens.get(token)
        if expires is None:
            self.counters["invalid_token"] += 1
            return {"errcode": 40014, "errmsg": f"invalid access_token, hint: [{token[:6]}]"}
        if expires < time.monotonic():
            self.counters["expired_token"] += 1
            return {"errcode": 42001, "errmsg": "access_token expired, hint: [expired]"}
        return None

    async def _fault(self) -> Response | None:
        """Injected latency, then faults before processing: 5xx or busy."""
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        roll = self.rng.random()
        if roll < self.fail_rate:
            self.counters["injected_5xx"] += 1
            return Response("bad gateway", status_code=502)
        if self.rng.random() < self.busy_rate:
            self.counters["injected_busy"] += 1
            return JSONResponse({"errcode": -1, "errmsg": "system busy"})
        return None

    async def _deliver(self, d: Delivered) -> Response:
        self.received.append(d)
        self.counters["delivered"] += 1
        if self.rng.random() < self.timeout_rate:
            self.counters["injected_timeout"] += 1
            await asyncio.sleep(self.hang_s)  # delivered, but the answer comes too late
        return JSONResponse(OK)

    def _limited(self) -> JSONResponse:
        self.counters["rate_limited"] += 1
        return JSONResponse({"errcode": 45009, "errmsg": "api freq out of limit"})

    # -- endpoints -----------------------------------------------------------------------------
    async def gettoken(self, request: Request) -> Response:
        self.counters["gettoken"] += 1
        corpid = request.query_params.get("corpid", "")
        secret = request.query_params.get("corpsecret", "")
        if corpid != self.corp_id:
            return JSONResponse({"errcode": 40013, "errmsg": "invalid corpid"})
        if self.corp_secret is not None and secret != self.corp_secret:
            return JSONResponse({"errcode": 40001, "errmsg": "invalid credential"})
        token = f"tok{self.counters['gettoken']}x{self.rng.randrange(10**12)}"
        self.tokens[token] = time.monotonic() + self.token_ttl
        return JSONResponse(
            {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": self.token_ttl}
        )

    async def message_send(self, request: Request) -> Response:
        self.counters["calls"] += 1
        if (fault := await self._fault()) is not None:
            return fault
        if (err := self._token_error(request)) is not None:
            return JSONResponse(err)
        body = await request.json()
        if self.agent_id is not None and body.get("agentid") != self.agent_id:
            return JSONResponse({"errcode": 40056, "errmsg": "invalid agentid"})
        users = [u for u in str(body.get("touser", "")).split("|") if u]
        if not users:
            return JSONResponse({"errcode": 82001, "errmsg": "All touser & toparty & totag invalid"})
        if len(users) > 1000:
            return JSONResponse({"errcode": 40058, "errmsg": "touser exceeds 1000"})
        msgtype = body.get("msgtype", "text")
        content = str((body.get(msgtype) or {}).get("content", ""))
        if not content:
            return JSONResponse({"errcode": 44004, "errmsg": "empty content"})
        if len(content.encode()) > 2048:
            return JSONResponse({"errcode": 45002, "errmsg": "content size out of limit"})
        invalid = [u for u in users if u in self.invalid_users]
        valid = [u for u in users if u not in self.invalid_users]
        if not valid:
            return JSONResponse({"errcode": 81013, "errmsg": "user & party & tag all invalid"})
        if self.enforce_limits:
            for u in valid:
                for n, limit in enumerate(self.user_limits):
                    if not self._within((f"user{n}", u), limit):
                        return self._limited()
        dup_interval = float(body.get("duplicate_check_interval", 1800))
        fresh = []
        for u in valid:
            key = (u, hashlib.sha1(content.encode()).hexdigest())
            if (
                body.get("enable_duplicate_check")
                and self.dup_seen.get(key, -1e9) > time.monotonic() - dup_interval
            ):
                self.counters["duplicates_suppressed"] += 1
                continue
            self.dup_seen[key] = time.monotonic()
            fresh.append(u)
        for u in fresh[:-1]:
            self.received.append(Delivered("message", u, content, msgtype, time.time(), body))
            self.counters["delivered"] += 1
        if fresh:
            await self._deliver(Delivered("message", fresh[-1], content, msgtype, time.time(), body))
        answer = {
            **OK,
            "invaliduser": "|".join(u.lower() for u in invalid),
            "msgid": f"m{self.counters['calls']}",
        }
        return JSONResponse(answer)

    async def appchat_send(self, request: Request) -> Response:
        self.counters["calls"] += 1
        if (fault := await self._fault()) is not None:
            return fault
        if (err := self._token_error(request)) is not None:
            return JSONResponse(err)
        body = await request.json()
        chatid = str(body.get("chatid", ""))
        if not chatid or chatid in self.invalid_chatids:
            return JSONResponse({"errcode": 86001, "errmsg": "invalid chatid"})
        if self.chatids is not None and chatid not in self.chatids:
            return JSONResponse({"errcode": 86003, "errmsg": "chatid not exist"})
        msgtype = body.get("msgtype", "text")
        content = str((body.get(msgtype) or {}).get("content", ""))
        if len(content.encode()) > 2048:
            return JSONResponse({"errcode": 45002, "errmsg": "content size out of limit"})
        if self.enforce_limits and not self._within(
            ("appchat", "corp"), self.appchat_limit, self.chat_members
        ):
            return self._limited()
        return await self._deliver(Delivered("appchat", chatid, content, msgtype, time.time(), body))

    async def webhook_send(self, request: Request) -> Response:
        self.counters["calls"] += 1
        if (fault := await self._fault()) is not None:
            return fault
        key = request.query_params.get("key", "")
        if (
            not key
            or key in self.invalid_keys
            or (self.robot_keys is not None and key not in self.robot_keys)
        ):
            return JSONResponse(
                {
                    "errcode": 93000,
                    "errmsg": "invalid webhook url, hint: [fake], more info at https://open.work.weixin.qq.com/devtool/query?e=93000",
                }
            )
        body = await request.json()
        msgtype = body.get("msgtype", "text")
        content = str((body.get(msgtype) or {}).get("content", ""))
        limit = 2048 if msgtype == "text" else 4096
        if len(content.encode()) > limit:
            return JSONResponse({"errcode": 40058, "errmsg": "content exceed max length"})
        if self.enforce_limits and not self._within(("robot", key), self.robot_limit):
            return self._limited()
        return await self._deliver(Delivered("robot", key, content, msgtype, time.time(), body))

    async def aibot_response(self, request: Request) -> Response:
        self.counters["calls"] += 1
        code = request.query_params.get("response_code", "")
        expires = self.response_codes.pop(code, None)
        if expires is None or expires < time.monotonic():
            # Assumed code: the public docs do not list the errcode for a used/expired response_code.
            return JSONResponse({"errcode": 95001, "errmsg": "response_code expired or already used"})
        body = await request.json()
        msgtype = body.get("msgtype", "markdown")
        content = str((body.get(msgtype) or {}).get("content", ""))
        return await self._deliver(Delivered("response", code, content, msgtype, time.time(), body))

    async def bridge_send(self, request: Request) -> Response:
        self.counters["calls"] += 1
        raw = await request.body()
        if self.bridge_secret is not None:
            ts = request.headers.get("x-weigrid-timestamp", "")
            sig = request.headers.get("x-weigrid-signature", "")
            mac = hmac.new(self.bridge_secret.encode(), f"{ts}.".encode() + raw, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(f"sha256={mac}", sig):
                self.counters["bad_signature"] += 1
                return JSONResponse({"ok": False, "error": "bad signature"}, status_code=403)
        if (fault := await self._fault()) is not None:
            return fault
        body = json.loads(raw)
        d = Delivered("bridge", str(body.get("room_id")), str(body.get("text")), "text", time.time(), body)
        self.received.append(d)
        self.counters["delivered"] += 1
        return JSONResponse({"ok": True})

    async def control_stats(self, request: Request) -> Response:
        """``GET /_fake/stats``: counters and per-target delivery counts (for a fake in another process)."""
        per_target: dict[str, int] = defaultdict(int)
        for d in self.received:
            per_target[f"{d.api}:{d.target}:{hashlib.sha1(d.body.encode()).hexdigest()[:12]}"] += 1
        return JSONResponse(
            {"counters": dict(self.counters), "received": len(self.received), "per_target": per_target}
        )

    async def control(self, request: Request) -> Response:
        """``POST /_fake/control`` ``{"knobs": {...}, "expire_tokens": bool, "reset": bool}``."""
        body = await request.json()
        for key, value in (body.get("knobs") or {}).items():
            if key in ("robot_limit", "appchat_limit"):
                value = tuple(value)
            setattr(self, key, value)
        if body.get("expire_tokens"):
            self.force_expire_tokens()
        if body.get("reset"):
            self.received.clear()
            self.counters.clear()
            self.windows.clear()
        return JSONResponse({"ok": True})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/_fake/stats", self.control_stats, methods=["GET"]),
                Route("/_fake/control", self.control, methods=["POST"]),
                Route("/cgi-bin/gettoken", self.gettoken, methods=["GET"]),
                Route("/cgi-bin/message/send", self.message_send, methods=["POST"]),
                Route("/cgi-bin/appchat/send", self.appchat_send, methods=["POST"]),
                Route("/cgi-bin/webhook/send", self.webhook_send, methods=["POST"]),
                Route("/cgi-bin/aibot/response", self.aibot_response, methods=["POST"]),
                Route("/bridge/send", self.bridge_send, methods=["POST"]),
            ]
        )


@contextlib.asynccontextmanager
async def serve_asgi(app: Any) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1:<free port>; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=1, backlog=4096
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout=5)
        sock.close()


@contextlib.asynccontextmanager
async def running_fake_wecom(**options: Any) -> AsyncIterator[FakeWeCom]:
    """Start a :class:`FakeWeCom` with ``options`` as knobs; yields it with ``.url`` set."""
    fake = FakeWeCom(**options)
    async with serve_asgi(fake.app()) as url:
        fake.url = url
        yield fake
