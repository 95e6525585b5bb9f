"""The one Settings object: config.yaml, then environment overrides, then init arguments.

Sources, highest first: init arguments > environment (``WEIGRID_SECTION__KEY``) > the YAML file
named by ``WEIGRID_CONFIG`` (default ``./config.yaml``) > defaults.

Secrets come only from the environment. A secret found in the YAML file, or a placeholder value
such as ``changeme``, is refused. In local mode, missing secrets are generated on first run and kept
in ``<data_dir>/secrets.json`` with mode 0600.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import string
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

logger = logging.getLogger(__name__)

#: (section, key) pairs that are secrets: never read from YAML, never logged.
SECRET_FIELDS: tuple[tuple[str, str], ...] = (
    ("wecom", "token"),
    ("wecom", "encoding_aes_key"),
    ("wecom", "corp_secret"),
    ("wecom_bot", "token"),
    ("wecom_bot", "encoding_aes_key"),
    ("bridge", "secret"),
    ("server", "session_secret"),
)

PLACEHOLDERS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "placeholder",
        "xxx",
        "todo",
        "your-token",
        "password",
        "test",
    }
)


def is_placeholder(value: str) -> bool:
    """Whether a secret value is an obvious placeholder (``changeme``, ``<token>``, ``xxxx`` ...)."""
    v = value.strip().lower()
    if not v:
        return False
    if v in PLACEHOLDERS or (v.startswith("<") and v.endswith(">")) or v.startswith("your"):
        return True
    return len(set(v)) == 1  # "xxxxxxxx", "00000000"


class DatabaseSettings(BaseModel):
    url: str = "sqlite+aiosqlite:///./var/weigrid.db"
    echo: bool = False
    pool_size: int = 10


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    data_dir: Path = Path("./var")
    session_secret: SecretStr | None = None
    max_body_bytes: int = 65536
    json_logs: bool = False
    run_workers: bool = True
    run_scheduler: bool = True
    web_processes: int = Field(default=1, ge=1, le=64)
    move_spool: bool = True
    bot_user_ids: list[str] = Field(default_factory=list)


class WecomSettings(BaseModel):
    enabled: bool = False
    corp_id: str = ""
    token: SecretStr | None = None
    encoding_aes_key: SecretStr | None = None
    agent_id: int | None = None
    corp_secret: SecretStr | None = None
    api_base: str = "https://qyapi.weixin.qq.com"
    max_clock_skew_s: int = 300
    timeout_s: float = 10.0


class WecomBotSettings(BaseModel):
    enabled: bool = False
    token: SecretStr | None = None
    encoding_aes_key: SecretStr | None = None


class BridgeSettings(BaseModel):
    enabled: bool = False
    secret: SecretStr | None = None
    send_url: str = ""
    max_clock_skew_s: int = 300
    daily_budget: int = 2000
    min_interval_s: float = 3.0
    jitter_s: float = 2.0


class InboxSettings(BaseModel):
    poll_interval_s: float = 0.2
    batch_size: int = 20
    lease_s: float = 10.0
    max_attempts: int = 5
    spool: bool = True
    spool_keep_s: float = Field(default=86400.0, ge=60)


class OutboxSettings(BaseModel):
    poll_interval_s: float = 0.2
    batch_size: int = 50
    lease_s: float = 60.0
    max_attempts: int = 8
    backoff_base_s: float = 2.0
    backoff_max_s: float = 600.0
    concurrency: int = 16


class ClassifierSettings(BaseModel):
    rules_path: Path = Path("rules.yaml")


class Settings(BaseSettings):
    """All WeiGrid configuration. See config.yaml for every key with a comment."""

    model_config = SettingsConfigDict(env_prefix="WEIGRID_", env_nested_delimiter="__", extra="ignore")

    mode: Literal["local", "production"] = "local"
    timezone: str = "Asia/Shanghai"
    config_path: Path | None = None
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    wecom: WecomSettings = Field(default_factory=WecomSettings)
    wecom_bot: WecomBotSettings = Field(default_factory=WecomBotSettings)
    bridge: BridgeSettings = Field(default_factory=BridgeSettings)
    inbox: InboxSettings = Field(default_factory=InboxSettings)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    classifier: ClassifierSettings = Field(default_factory=ClassifierSettings)
    # Domain sections owned by their issues; kept as validated-by-their-module dicts here so that
    # one file lists every key. Each domain module parses its own section into a typed model.
    routing: dict[str, Any] = Field(default_factory=dict)
    sla: dict[str, Any] = Field(default_factory=dict)
    notices: dict[str, Any] = Field(default_factory=dict)
    rate_limits: dict[str, Any] = Field(default_factory=dict)
    care: dict[str, Any] = Field(default_factory=dict)
    emergency: dict[str, Any] = Field(default_factory=dict)
    schedules: list[dict[str, Any]] = Field(default_factory=list)
    console: dict[str, Any] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        ZoneInfo(value)
        return value

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        for section, key in SECRET_FIELDS:
            value: SecretStr | None = getattr(getattr(self, section), key)
            if value is not None and is_placeholder(value.get_secret_value()):
                raise ValueError(
                    f"{section}.{key} is a placeholder; set WEIGRID_{section.upper()}__{key.upper()} to a real secret"
                )
        if self.mode == "production":
            needed = []
            if self.wecom.enabled:
                needed += [("wecom", k) for k in ("token", "encoding_aes_key", "corp_secret")]
            if self.wecom_bot.enabled:
                needed += [("wecom_bot", k) for k in ("token", "encoding_aes_key")]
            if self.bridge.enabled:
                needed += [("bridge", "secret")]
            needed.append(("server", "session_secret"))
            missing = [
                f"WEIGRID_{s.upper()}__{k.upper()}" for s, k in needed if getattr(getattr(self, s), k) is None
            ]
            if missing:
                raise ValueError(
                    "production mode needs these secrets in the environment: " + ", ".join(missing)
                )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, YamlSource(settings_cls))

    # -- derived paths -------------------------------------------------------------------------
    def config_dir(self) -> Path:
        return self.config_path.parent if self.config_path else Path.cwd()

    def classifier_rules_path(self) -> Path:
        """The classifier rules file, relative paths resolved against the config file's folder."""
        path = self.classifier.rules_path
        if path.is_absolute():
            return path
        candidate = self.config_dir() / path
        if not candidate.exists() and self.config_path is None:
            # No config file in force (run from another folder): use the checkout's own rules.
            shipped = Path(__file__).resolve().parent.parent / path
            if shipped.exists():
                return shipped
        return candidate

    def secret(self, section: str, key: str) -> str:
        """The plain value of a secret, or ``""`` when unset."""
        value: SecretStr | None = getattr(getattr(self, section), key)
        return value.get_secret_value() if value is not None else ""


def config_file() -> Path | None:
    """The YAML file in force: ``WEIGRID_CONFIG``, else ``./config.yaml`` if present."""
    named = os.environ.get("WEIGRID_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise FileNotFoundError(f"WEIGRID_CONFIG points at {path}, which is not a file")
        return path
    default = Path("config.yaml")
    return default if default.is_file() else None


class YamlSource(PydanticBaseSettingsSource):
    """Reads config.yaml and refuses secrets in it."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        path = config_file()
        data: dict[str, Any] = {}
        if path is not None:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if not isinstance(loaded, dict):
                raise ValueError(f"{path}: the top level must be a mapping")
            data = loaded
            data.setdefault("config_path", str(path.resolve()))
        for section, key in SECRET_FIELDS:
            sect = data.get(section)
            if isinstance(sect, dict) and sect.get(key) not in (None, ""):
                raise ValueError(
                    f"{path}: {section}.{key} is a secret and must come from the environment "
                    f"(WEIGRID_{section.upper()}__{key.upper()}), not from the config file"
                )
        self._data = data

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._data.items() if v is not None}


def _random_token(length: int = 32) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _generate(section: str, key: str) -> str:
    if key == "encoding_aes_key":
        return _random_token(43)  # WeCom's EncodingAESKey: 43 characters of [A-Za-z0-9]
    return _random_token(32)


def ensure_local_secrets(settings: Settings) -> Settings:
    """In local mode, fill missing secrets from ``<data_dir>/secrets.json``, creating it (0600) on first run."""
    if settings.mode != "local":
        return settings
    data_dir = settings.server.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "secrets.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
    changed = False
    update: dict[str, dict[str, Any]] = {}
    for section, key in SECRET_FIELDS:
        if getattr(getattr(settings, section), key) is not None:
            continue
        name = f"{section}.{key}"
        if name not in stored:
            stored[name] = _generate(section, key)
            changed = True
        update.setdefault(section, {})[key] = SecretStr(stored[name])
    if not settings.wecom.corp_id:
        stored.setdefault("wecom.corp_id", "wwlocal" + _random_token(11).lower())
        changed = changed or "wecom.corp_id" not in stored
        update.setdefault("wecom", {})["corp_id"] = stored["wecom.corp_id"]
    if changed:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(stored, fh, indent=2)
        os.chmod(path, 0o600)
        logger.info("generated local secrets in %s (mode 0600)", path)
    patched = {
        section: getattr(settings, section).model_copy(update=values) for section, values in update.items()
    }
    return settings.model_copy(update=patched)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached). Tests build their own ``Settings`` and pass it explicitly."""
    return ensure_local_secrets(Settings())
