"""Console tests run with quiet hours off, so that a notice sent at any hour goes out at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings
from tests.conftest import make_settings


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path / "data", notices={"quiet_hours": None})
