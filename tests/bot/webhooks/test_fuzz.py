"""Fuzz the three message routes: whatever arrives, the answer is a 4xx (or a 200 for a valid message), never a 5xx.

The message ``POST`` routes are plain Starlette routes and not in the OpenAPI schema that
tests/api/test_schemathesis.py fuzzes, so they are fuzzed here with Hypothesis: arbitrary bytes,
query parameters and headers, and also well-signed requests carrying arbitrary payloads (the
signature is right, the content is garbage), which is where a parser bug would show.
Bounded and deterministic (``derandomize``).
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.settings import Settings
from bot.webhooks.bridge import sign
from models.inbox import InboxMessage
from tests.factories import settle_ingest

FUZZ = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PATHS = ("/wecom/callback", "/wecom/bot", "/bridge/messages")
texts = st.text(max_size=200)
params = st.dictionaries(st.sampled_from(["msg_signature", "timestamp", "nonce", "x"]), texts, max_size=4)
header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
headers = st.dictionaries(
    st.sampled_from(["X-WeiGrid-Timestamp", "X-WeiGrid-Signature", "Content-Type", "Content-Length"]),
    header_values,
    max_size=3,
)


async def test_arbitrary_requests_never_get_a_5xx(client: httpx.AsyncClient, app: Any) -> None:
    # Hypothesis draws the cases (synchronously); the test then sends them on its own event loop.
    requests: list[tuple[str, dict[str, str], dict[str, str], bytes]] = []

    @FUZZ
    @given(path=st.sampled_from(PATHS), query=params, head=headers, body=st.binary(max_size=600))
    def draw(path: str, query: dict[str, str], head: dict[str, str], body: bytes) -> None:
        requests.append((path, query, {k: v for k, v in head.items() if k != "Content-Length"}, body))

    draw()
    assert len(requests) >= 20
    for path, query, head, body in requests:
        resp = await client.post(path, params=query, headers=head, content=body)
        assert resp.status_code in (400, 403, 413), (path, query, head, body, resp.status_code, resp.text)
        assert "error" in resp.json()
    await settle_ingest(app)
    async with app.state.db.session() as session:
        assert not (await session.scalars(select(InboxMessage))).all()  # nothing unsigned was stored


async def test_well_signed_garbage_never_gets_a_5xx(
    client: httpx.AsyncClient, settings: Settings, app: Any
) -> None:
    """The signature is right; the decrypted or JSON content is arbitrary."""
    crypto = WeChatCrypto(
        settings.secret("wecom", "token"),
        settings.secret("wecom", "encoding_aes_key"),
        settings.wecom.corp_id,
    )
    bot_crypto = WeChatCrypto(
        settings.secret("wecom_bot", "token"), settings.secret("wecom_bot", "encoding_aes_key"), ""
    )
    cases: list[tuple[str, dict[str, str], dict[str, str], bytes]] = []

    @FUZZ
    @given(kind=st.sampled_from(["wecom", "wecom_bot", "bridge"]), payload=st.text(max_size=300))
    def draw(kind: str, payload: str) -> None:
        nonce, ts = "n0nce", str(int(time.time()))
        if kind == "bridge":
            body = payload.encode()
            cases.append(
                (
                    "/bridge/messages",
                    {},
                    {
                        "X-WeiGrid-Timestamp": ts,
                        "X-WeiGrid-Signature": sign(settings.secret("bridge", "secret"), ts, body),
                    },
                    body,
                )
            )
            return
        target = crypto if kind == "wecom" else bot_crypto
        envelope = target.encrypt_message(payload, nonce, ts)  # a signed XML envelope around the payload
        query = {"msg_signature": _between(envelope, "MsgSignature"), "timestamp": ts, "nonce": nonce}
        if kind == "wecom":
            cases.append(("/wecom/callback", query, {}, envelope.encode()))
        else:
            body = json.dumps({"encrypt": _between(envelope, "Encrypt")}).encode()
            cases.append(("/wecom/bot", query, {}, body))

    draw()
    for path, query, head, body in cases:
        resp = await client.post(path, params=query, headers=head, content=body)
        assert resp.status_code < 500, (path, body[:200], resp.text)
        assert resp.status_code != 403, (path, resp.text)  # the signature itself is always right
    await settle_ingest(app)  # whatever was accepted moves into the inbox without error
    assert len(cases) >= 20


def _between(xml: str, tag: str) -> str:
    start = xml.index(f"<{tag}>") + len(tag) + 2
    value = xml[start : xml.index(f"</{tag}>")]
    return value.removeprefix("<![CDATA[").removesuffix("]]>")
