"""Settings, validated in one place: command-line options > LANJIE_* variables > lanjie.toml."""

from __future__ import annotations

import getpass
import os
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, InitSettingsSource, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from lanjie.couriers import known_couriers, parse_partners
from lanjie.errors import BadInput
from lanjie.i18n import Lang
from lanjie.model import Bucket

FLAG_COLOURS: tuple[str, ...] = ("灰", "紫", "青", "绿", "橙", "红")  # 抖店 star 0..5
DEFAULT_FLAGS: dict[str, str] = {
    Bucket.INTERCEPT.value: "紫",
    Bucket.INTERCEPTING.value: "紫",
    Bucket.CHASE.value: "紫",
    Bucket.VERIFY.value: "橙",
    Bucket.RETURNING.value: "青",
    Bucket.RETURNED.value: "绿",
    Bucket.NOT_SHIPPED.value: "灰",
    Bucket.MANUAL.value: "红",
}
MESSAGE_FIELDS = {"courier": "中通", "count": 3, "date": "11-26", "part": 1, "parts": 2}
REMARK_FIELDS = {"date": "11-26", "status": "已拦截", "courier": "中通", "operator": "小王"}
CONFIG_FILE = "lanjie.toml"

_file_values: ContextVar[dict[str, Any] | None] = ContextVar("lanjie_file_values", default=None)


def _check_template(template: str, fields: Mapping[str, object]) -> str:
    try:
        template.format(**fields)
    except (KeyError, IndexError, ValueError) as error:
        names = "、".join("{" + name + "}" for name in fields)
        raise ValueError(f"模板「{template}」有误（{error}），可用的占位符：{names}") from error
    return template


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LANJIE_", extra="forbid")

    lang: Lang = "zh"
    partners: Annotated[tuple[str, ...], NoDecode] = ()
    urgent_hours: float = Field(12.0, ge=0, le=24 * 30)
    chunk_size: int = Field(50, ge=1, le=1000)
    intercept_template: str = "以下单号麻烦拦截退回，谢谢！（共{count}单）"
    verify_template: str = (
        "以下单号显示已签收，买家说没收到，麻烦核实签收情况（是否本人签收、有无签收凭证），谢谢！（共{count}单）"
    )
    chase_template: str = "以下单号之前已申请拦截，到现在还在运输，麻烦再帮忙拦截退回，谢谢！（共{count}单）"
    remark_template: str = "{date} {status} {courier}"
    chase_hours: float = Field(48.0, gt=0, le=24 * 30)
    flags: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_FLAGS))
    operator: str = ""
    database_url: str = ""  # LANJIE_DATABASE_URL; empty: a SQLite file in the user's data folder
    secret_key: str = ""  # LANJIE_SECRET_KEY signs the web's session cookies; empty: one made per machine
    max_upload_mb: int = Field(60, ge=1, le=1024)
    shop: str = ""  # the shop to record imports under when the export does not name one

    @field_validator("partners", mode="before")
    @classmethod
    def _split_partners(cls, value: object) -> tuple[str, ...]:
        values = [value] if isinstance(value, str) else list(value or ())  # type: ignore[call-overload]
        codes, unknown = parse_partners(str(v) for v in values)
        if unknown:
            raise ValueError(f"不认识的快递：{'、'.join(unknown)}；可用的有：{known_couriers()}")
        return tuple(sorted(codes))

    @field_validator("intercept_template", "verify_template", "chase_template")
    @classmethod
    def _message_template(cls, value: str) -> str:
        return _check_template(value, MESSAGE_FIELDS)

    @field_validator("remark_template")
    @classmethod
    def _remark_template(cls, value: str) -> str:
        return _check_template(value, REMARK_FIELDS)

    @field_validator("flags")
    @classmethod
    def _flags(cls, value: dict[str, str]) -> dict[str, str]:
        buckets = {b.value for b in Bucket}
        for bucket, colour in value.items():
            if bucket not in buckets:
                raise ValueError(f"旗帜设置里的分类「{bucket}」不存在，可用：{'、'.join(sorted(buckets))}")
            if colour not in FLAG_COLOURS:
                raise ValueError(f"旗帜颜色「{colour}」不存在，可用：{'、'.join(FLAG_COLOURS)}")
        return {**DEFAULT_FLAGS, **value}

    @property
    def partner_codes(self) -> frozenset[str]:
        return frozenset(self.partners)

    @property
    def operator_name(self) -> str:
        """Who is doing this: the configured operator, else the computer's login name."""
        if self.operator.strip():
            return self.operator.strip()
        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return "未署名"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, InitSettingsSource(settings_cls, init_kwargs=_file_values.get() or {})


def config_path(explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit
    from_env = os.environ.get("LANJIE_CONFIG")
    if from_env:
        return Path(from_env)
    local = Path(CONFIG_FILE)
    return local if local.is_file() else None


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Settings from every source; a bad value anywhere is one clear error (exit 2)."""
    path = config_path(config)
    file_values: dict[str, Any] = {}
    if path is not None:
        try:
            file_values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise BadInput("bad_config", source=str(path), detail=str(error)) from error
    token = _file_values.set(file_values)
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as error:
        detail = "；".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}" for e in error.errors()
        )
        sources = "命令行选项、LANJIE_* 环境变量" + (f"或 {path}" if path else "")
        raise BadInput("bad_config", source=sources, detail=detail) from error
    finally:
        _file_values.reset(token)
