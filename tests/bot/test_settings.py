"""Settings: YAML + environment overrides, secrets only from the environment, local secrets generated."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings, ensure_local_secrets, is_placeholder


@pytest.fixture
def yaml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in list(__import__("os").environ):
        if key.startswith("WEIGRID_"):
            monkeypatch.delenv(key)
    path = tmp_path / "weigrid.yaml"
    path.write_text(
        "mode: local\ndatabase:\n  url: sqlite+aiosqlite:///./other.db\nwecom:\n  corp_id: wwfromyaml\n  max_clock_skew_s: 120\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("WEIGRID_CONFIG", str(path))
    return path


def test_yaml_then_env_overrides(yaml_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = Settings()
    assert s.database.url == "sqlite+aiosqlite:///./other.db"
    assert s.wecom.corp_id == "wwfromyaml"
    assert s.wecom.api_base == "https://qyapi.weixin.qq.com"
    assert s.config_path == yaml_file.resolve()
    monkeypatch.setenv("WEIGRID_WECOM__MAX_CLOCK_SKEW_S", "0")
    monkeypatch.setenv("WEIGRID_DATABASE__URL", "postgresql+psycopg://x@127.0.0.1/y")
    s = Settings()
    assert s.wecom.max_clock_skew_s == 0
    assert s.database.url.startswith("postgresql")
    assert Settings(wecom={"corp_id": "init"}).wecom.corp_id == "init"  # init beats env and YAML


def test_secret_in_yaml_is_refused(yaml_file: Path) -> None:
    yaml_file.write_text("bridge:\n  secret: abcdefghijklmnop\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bridge\.secret is a secret"):
        Settings()


@pytest.mark.parametrize("value", ["changeme", "<your token>", "xxxxxxxx", "your-secret", "placeholder"])
def test_placeholder_secret_is_refused(yaml_file: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    assert is_placeholder(value)
    monkeypatch.setenv("WEIGRID_BRIDGE__SECRET", value)
    with pytest.raises(ValidationError, match="placeholder"):
        Settings()


def test_production_needs_secrets_for_enabled_channels(
    yaml_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEIGRID_MODE", "production")
    monkeypatch.setenv("WEIGRID_WECOM__ENABLED", "true")
    with pytest.raises(ValidationError, match="WEIGRID_WECOM__TOKEN"):
        Settings()


def test_missing_config_file_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WEIGRID_CONFIG", str(tmp_path / "nope.yaml"))
    with pytest.raises(FileNotFoundError, match="WEIGRID_CONFIG"):
        Settings()


def test_local_secrets_are_generated_once_with_mode_0600(yaml_file: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = ensure_local_secrets(Settings(server={"data_dir": data}))
    path = data / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    aes = first.secret("wecom", "encoding_aes_key")
    assert len(aes) == 43 and aes.isalnum()
    assert first.secret("bridge", "secret") and first.wecom.corp_id == "wwfromyaml"
    second = ensure_local_secrets(Settings(server={"data_dir": data}))
    assert second.secret("bridge", "secret") == first.secret("bridge", "secret")
    assert set(json.loads(path.read_text())) >= {"bridge.secret", "wecom.token", "wecom_bot.encoding_aes_key"}
    # secrets never show in a dump or repr
    assert first.secret("bridge", "secret") not in repr(first)


def test_repo_config_yaml_loads_with_every_required_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import ROOT

    monkeypatch.setenv("WEIGRID_CONFIG", str(ROOT / "config.yaml"))
    s = Settings()
    for section, key in [
        ("database", "url"),
        ("wecom", "corp_id"),
        ("wecom", "token"),
        ("wecom", "encoding_aes_key"),
        ("wecom", "agent_id"),
        ("wecom", "corp_secret"),
        ("wecom", "api_base"),
        ("wecom", "max_clock_skew_s"),
        ("wecom_bot", "token"),
        ("wecom_bot", "encoding_aes_key"),
        ("bridge", "secret"),
        ("bridge", "send_url"),
    ]:
        assert hasattr(getattr(s, section), key), f"{section}.{key}"
    assert s.classifier_rules_path().is_file()
