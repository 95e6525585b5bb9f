"""Schemathesis against the OpenAPI schema of a live server: no 5xx for any generated input, and every
``/api/*`` operation answers 401 without a token (403 for a viewer on every unsafe method).

Bounded and deterministic: ``max_examples`` per operation (WEIGRID_FUZZ_EXAMPLES, default 20) and
Hypothesis' ``derandomize``, so a run is reproducible. Positive (schema-valid) and negative (schema-
violating) cases are both generated. The live server uses the test database backend (SQLite, or PostgreSQL
with WEIGRID_TEST_DB=postgres), where NUL bytes and out-of-range integers are real hazards.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from bot.db import Database
from bot.settings import Settings
from models.auth import TokenRole
from tests.browser.live import free_port, serve
from tests.conftest import make_settings
from tests.factories import make_registry, make_token

EXAMPLES = int(os.environ.get("WEIGRID_FUZZ_EXAMPLES", "20"))
#: Operations that would end the fuzzing session itself (revoking tokens), fuzzed with a throwaway token.
SELF_DESTRUCT = {("POST", "/api/auth/tokens/{token_id}/revoke")}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


async def _seed(settings_: Settings) -> dict[str, str]:
    db = Database(settings_.database.url)
    try:
        await make_registry(db, groups=4, grids=2)
        return {
            "admin": await make_token(db, TokenRole.ADMIN),
            "viewer": await make_token(db, TokenRole.VIEWER),
            "spare": await make_token(db, TokenRole.ADMIN),
        }
    finally:
        await db.dispose()


@pytest.fixture
def live(db_url: str, tmp_path: Path) -> Any:
    port = free_port()
    live_settings = make_settings(
        db_url, tmp_path / "data", server={"public_url": f"http://127.0.0.1:{port}"}
    )
    tokens = asyncio.run(_seed(live_settings))
    with serve(live_settings, port) as url:
        yield url, tokens


def operations(url: str) -> list[Any]:
    schema = schemathesis.openapi.from_dict(httpx.get(url + "/openapi.json").json())
    return [result.ok() for result in schema.get_all_operations()]


def run(operation: Any, mode: GenerationMode, examples: int, check: Any) -> None:
    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def test(case: Any) -> None:
        check(case)

    try:
        test()
    except Unsatisfiable:
        # nothing to violate (e.g. an operation without parameters has no negative cases)
        assert mode is GenerationMode.NEGATIVE, f"{operation.method} {operation.path}: no positive cases"


def test_no_server_errors_and_auth_everywhere(live: Any) -> None:
    url, tokens = live
    ops = operations(url)
    api = [op for op in ops if op.path.startswith("/api/")]
    assert len(api) >= 15, [op.path for op in ops]
    failures: list[str] = []

    def no_5xx(token: str) -> Any:
        def check(case: Any) -> None:
            response = case.call(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}"
                )

        return check

    def unauthenticated(case: Any) -> None:
        response = case.call(base_url=url, timeout=30)
        if response.status_code != 401:
            failures.append(f"no token: {case.method} {case.formatted_path} -> {response.status_code}")

    def viewer(case: Any) -> None:
        response = case.call(
            base_url=url, headers={"Authorization": f"Bearer {tokens['viewer']}"}, timeout=30
        )
        if response.status_code != 403:
            failures.append(f"viewer: {case.method} {case.formatted_path} -> {response.status_code}")

    for op in api:
        run(op, GenerationMode.POSITIVE, 3, unauthenticated)
        if op.method.upper() in UNSAFE:
            run(op, GenerationMode.POSITIVE, 3, viewer)
    ordered = sorted(ops, key=lambda op: (op.method.upper(), op.path) in SELF_DESTRUCT)
    for op in ordered:
        token = tokens["spare"] if (op.method.upper(), op.path) in SELF_DESTRUCT else tokens["admin"]
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run(op, mode, EXAMPLES, no_5xx(token))
    assert not failures, "\n".join(failures[:40])
