"""Console tests run with quiet hours and the :00/:30 bulk-send pause off, so a notice goes out at once at any time."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings
from tests.conftest import make_settings


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(
        db_url, tmp_path / "data", notices={"quiet_hours": None}, rate_limits={"avoid_marks": None}
    )
