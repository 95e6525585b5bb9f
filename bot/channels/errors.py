"""Mapping platform answers and transport failures onto SendError.

WeCom answers HTTP 200 with ``{"errcode", "errmsg"}`` even for errors, so ``errcode`` is always checked.
See https://developer.work.weixin.qq.com/document/path/90313 for the global error codes.
"""

from __future__ import annotations

from typing import Any

import httpx

from bot.channels.base import SendError

#: Rate limits and "busy": retry later, at least this many seconds later.
RETRY_AFTER: dict[int, float] = {
    -1: 5.0,  # 系统繁忙
    45009: 60.0,  # 接口调用超过限制 (api freq out of limit)
    45033: 10.0,  # 接口并发调用超过限制
}
#: The token is invalid or expired: refresh and retry once.
TOKEN_CODES = frozenset({40014, 42001})
#: Known permanent errors (the rest of the non-zero codes are treated as permanent too).
PERMANENT: dict[int, str] = {
    40003: "无效的UserID",
    40050: "chatid不存在",
    40056: "不合法的agentid",
    40058: "参数不合法",
    44004: "消息内容为空",
    45002: "消息内容超过限制",
    48002: "API接口无权限调用",
    60020: "访问IP不在白名单之中",
    81013: "接收人全部非法或无权限",
    82001: "接收人全部为空",
    86001: "chatid不合法",
    86003: "chatid不存在",
    86008: "非本应用创建的群",
    93000: "机器人webhook地址无效(key错误)",
}


def check_errcode(data: Any, api: str) -> None:
    """Raise SendError for a non-zero ``errcode`` in a WeCom answer."""
    if not isinstance(data, dict):
        raise SendError(f"{api}: answer is not a JSON object", retryable=True)
    code = int(data.get("errcode", 0) or 0)
    if code == 0:
        return
    errmsg = str(data.get("errmsg", ""))[:300]
    reason = f"{api}: errcode {code} {PERMANENT.get(code, '')} ({errmsg})".replace("  ", " ")
    if code in RETRY_AFTER:
        raise SendError(reason, retryable=True, retry_after=RETRY_AFTER[code], code=code)
    raise SendError(reason, retryable=False, code=code)


def from_status(response: httpx.Response, api: str) -> None:
    """Raise SendError for an HTTP error status (5xx and 429 retryable, other 4xx permanent)."""
    status = response.status_code
    if status < 400:
        return
    reason = f"{api}: HTTP {status}"
    if status >= 500:
        raise SendError(reason, retryable=True)
    if status == 429:
        retry_after = _float(response.headers.get("retry-after")) or 30.0
        raise SendError(reason, retryable=True, retry_after=retry_after)
    raise SendError(f"{reason} {response.text[:200]}", retryable=False)


def from_transport(exc: httpx.HTTPError, api: str) -> SendError:
    """A transport failure. Before the request went out it is a plain retry; after, it is ambiguous."""
    name = type(exc).__name__
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return SendError(f"{api}: {name} (not sent)", retryable=True)
    # ReadTimeout, WriteTimeout, RemoteProtocolError, ReadError ...: the request may have arrived.
    return SendError(f"{api}: {name} after sending (may have arrived)", retryable=True, ambiguous=True)


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
