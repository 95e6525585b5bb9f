"""Shared by the CLI tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import get_settings
from tests.conftest import TEST_SECRETS


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The CLI's settings point at the test database (a fresh migrated one) and a temporary data dir."""
    monkeypatch.setenv("WEIGRID_DATABASE__URL", db_url)
    monkeypatch.setenv("WEIGRID_SERVER__DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WEIGRID_BRIDGE__SECRET", TEST_SECRETS["bridge"]["secret"])
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()
