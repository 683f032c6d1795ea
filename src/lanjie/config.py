"""Settings, read and validated in one place: command-line options > LANJIE_* variables > lanjie.toml.

Nothing else in lanjie reads LANJIE_* variables or lanjie.toml. The one exception is the
language of the messages about loading the settings themselves (`Settings.early_lang`): when
lanjie.toml is broken it cannot say which language it asks for, so those messages follow
`--lang`, else LANJIE_LANG, else Chinese. Once loaded, `Settings.lang` is the language of
everything else: `--lang` > LANJIE_LANG > `lang` in lanjie.toml > Chinese.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, InitSettingsSource, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from lanjie.buckets import RULES
from lanjie.couriers import find_courier, known_couriers, parse_partners
from lanjie.errors import BadInput
from lanjie.i18n import Lang, Listing, Text, lang_of
from lanjie.model import Bucket

FLAG_COLOURS: tuple[str, ...] = ("灰", "紫", "青", "绿", "橙", "红")  # 抖店 star 0..5
DEFAULT_FLAGS: dict[str, str] = {b.value: rule.flag for b, rule in RULES.items() if b is not Bucket.OUT_OF_SCOPE}
MESSAGE_FIELDS = {"courier": "中通", "count": 3, "date": "11-26", "part": 1, "parts": 2}
REMARK_FIELDS = {"date": "11-26", "status": "已拦截", "courier": "中通", "operator": "小王"}
CONFIG_FILE = "lanjie.toml"
DOUDIAN_GATEWAY = "https://openapi-fxg.jinritemai.com"
KUAIDI100_POLL = "https://poll.kuaidi100.com"
KUAIDI100_API = "https://api.kuaidi100.com"
MIN_SECRET_KEY = 32  # characters of LANJIE_SECRET_KEY

_file_values: ContextVar[dict[str, Any] | None] = ContextVar("lanjie_file_values", default=None)


def _check_template(template: str, fields: Mapping[str, object]) -> str:
    try:
        template.format(**fields)
    except (KeyError, IndexError, ValueError) as error:
        names = Listing("{" + name + "}" for name in fields)
        raise ValueError(Text("setting_bad_template", template=template, error=str(error), fields=names)) from error
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
    db_timeout: float = Field(60.0, gt=0, le=24 * 3600)  # seconds a writer waits for the ledger
    secret_key: str = ""  # LANJIE_SECRET_KEY signs the web's session cookies; empty: one made per machine
    max_upload_mb: int = Field(60, ge=1, le=1024)
    shop: str = ""  # the shop to record imports under when the export does not name one
    debug: bool = False  # LANJIE_DEBUG=1: an unexpected error shows its traceback
    # lanjie serve: Host names the workbench answers to besides its own address (DNS rebinding);
    # LANJIE_ALLOWED_HOSTS="shop-pc,192.168.1.20", or a list in lanjie.toml; "*" allows any.
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    secure_cookies: bool = False  # lanjie serve is behind HTTPS: cookies sent over HTTPS only (HSTS too)
    # The 抖店 Open Platform: the app's credentials (from its console) and the gateway.
    doudian_app_key: str = ""
    doudian_app_secret: str = Field("", repr=False)
    doudian_base_url: str = DOUDIAN_GATEWAY  # the sandbox: https://openapi-sandbox.jinritemai.com
    sync_minutes: float = Field(10.0, ge=1, le=24 * 60)  # lanjie serve syncs each connected shop this often
    # 快递100: tracking (poll/query.do) and courier-side interception (label/order, interceptOrder).
    kuaidi100_customer: str = ""
    kuaidi100_key: str = Field("", repr=False)
    kuaidi100_secret: str = Field("", repr=False)
    kuaidi100_base_url: str = KUAIDI100_POLL
    kuaidi100_api_url: str = KUAIDI100_API
    kuaidi100_phone: str = ""  # the shop's sending phone: its last 4 digits let 顺丰 and 中通 parcels be queried
    # 快递100 locks a number queried more than once per 30 minutes: never less than 30.
    track_minutes: float = Field(30.0, ge=30, le=24 * 60)
    track_rate: float = Field(5.0, gt=0, le=100)  # queries a second at most, across the parallel workers
    track_workers: int = Field(4, ge=1, le=32)
    public_url: str = ""  # where 快递100 reaches lanjie serve with interception results (https://…)
    # Each courier's chat group robot (WeCom, DingTalk or Feishu webhook), by courier code or name,
    # and a DingTalk robot's signing secret when it has one.
    robots: dict[str, str] = Field(default_factory=dict)
    robot_secrets: dict[str, str] = Field(default_factory=dict, repr=False)

    @field_validator("lang", mode="before")
    @classmethod
    def _lang(cls, value: object) -> Lang:
        lang = lang_of(str(value))
        if lang is None:
            raise ValueError(Text("setting_bad_lang", value=value))
        return lang

    @field_validator("secret_key")
    @classmethod
    def _secret_key(cls, value: str) -> str:
        if value and len(value) < MIN_SECRET_KEY:
            raise ValueError(Text("secret_too_short"))
        return value

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> tuple[str, ...]:
        values = value.split(",") if isinstance(value, str) else list(value or ())  # type: ignore[call-overload]
        return tuple(h for h in (str(v).strip().lower() for v in values) if h)

    @field_validator("partners", mode="before")
    @classmethod
    def _split_partners(cls, value: object) -> tuple[str, ...]:
        values = [value] if isinstance(value, str) else list(value or ())  # type: ignore[call-overload]
        codes, unknown = parse_partners(str(v) for v in values)
        if unknown:
            raise ValueError(Text("setting_unknown_partners", names=Listing(unknown), known=known_couriers()))
        return tuple(sorted(codes))

    @field_validator("intercept_template", "verify_template", "chase_template")
    @classmethod
    def _message_template(cls, value: str) -> str:
        return _check_template(value, MESSAGE_FIELDS)

    @field_validator("remark_template")
    @classmethod
    def _remark_template(cls, value: str) -> str:
        return _check_template(value, REMARK_FIELDS)

    @model_validator(mode="before")
    @classmethod
    def _robot_tables(cls, values: Any) -> Any:
        """A robot may also be a table: [robots.zhongtong] url = "https://…" secret = "SEC…" (DingTalk)."""
        robots = values.get("robots") if isinstance(values, dict) else None
        if not isinstance(robots, dict) or not any(isinstance(v, dict) for v in robots.values()):
            return values
        urls: dict[str, object] = {}
        secrets = dict(values.get("robot_secrets") or {})
        for courier, robot in robots.items():
            if isinstance(robot, dict):
                urls[courier] = robot.get("url") or robot.get("webhook") or ""
                if robot.get("secret"):
                    secrets[courier] = robot["secret"]
            else:
                urls[courier] = robot
        return {**values, "robots": urls, "robot_secrets": secrets}

    @field_validator("robots", "robot_secrets", mode="before")
    @classmethod
    def _by_courier(cls, value: object) -> dict[str, str]:
        """Keys as courier codes: 中通, ZTO and zhongtong all name zhongtong."""
        if not isinstance(value, dict):
            raise ValueError(Text("setting_robots_table"))
        by_code: dict[str, str] = {}
        unknown = []
        for name, url in value.items():
            code = find_courier(str(name))
            if code is None:
                unknown.append(str(name))
            else:
                by_code[code] = str(url).strip()
        if unknown:
            raise ValueError(Text("setting_unknown_partners", names=Listing(unknown), known=known_couriers()))
        return by_code

    @field_validator("flags")
    @classmethod
    def _flags(cls, value: dict[str, str]) -> dict[str, str]:
        buckets = {b.value for b in Bucket}
        for bucket, colour in value.items():
            if bucket not in buckets:
                raise ValueError(Text("setting_unknown_bucket", bucket=bucket, known=Listing(sorted(buckets))))
            if colour not in FLAG_COLOURS:
                raise ValueError(Text("setting_unknown_colour", colour=colour, known=Listing(FLAG_COLOURS)))
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
    def early_lang(cls, option: str | None = None) -> Lang:
        """The language of messages raised before the settings are loaded, or by loading them:
        `--lang` (the `option`), else LANJIE_LANG, else Chinese. lanjie.toml is not read: it
        may be the very thing that is broken."""
        return lang_of(option or cls._early("lang")) or "zh"

    @classmethod
    def early_debug(cls) -> bool:
        """LANJIE_DEBUG, for an unexpected error raised before the settings are loaded."""
        return (cls._early("debug") or "").strip().lower() in ("1", "true", "yes", "on")

    @classmethod
    def _early(cls, name: str) -> str | None:
        return os.environ.get(f"{cls.model_config.get('env_prefix', '')}{name.upper()}")

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
        detail = Listing(map(_problem, error.errors()), separator="clause_separator")
        sources = Text("setting_sources", path=str(path)) if path else Text("setting_sources_no_file")
        raise BadInput("bad_config", source=sources, detail=detail) from error
    finally:
        _file_values.reset(token)


def _problem(error: ErrorDetails) -> Text:
    """One setting's problem as `name: what is wrong`, in words from the catalogue."""
    name = ".".join(map(str, error["loc"]))
    return Text("setting_problem", name=name, problem=_what_is_wrong(error))


def _limit(value: object) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)  # 0, not 0.0


def _what_is_wrong(error: ErrorDetails) -> Text:
    ctx = error.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, ValueError) and cause.args and isinstance(cause.args[0], Text):
        return cause.args[0]  # raised by a validator above
    match error["type"]:
        case "greater_than_equal":
            return Text("setting_at_least", limit=_limit(ctx["ge"]))
        case "less_than_equal":
            return Text("setting_at_most", limit=_limit(ctx["le"]))
        case "greater_than":
            return Text("setting_more_than", limit=_limit(ctx["gt"]))
        case "less_than":
            return Text("setting_less_than", limit=_limit(ctx["lt"]))
        case "int_parsing" | "int_type" | "int_from_float":
            return Text("setting_whole_number")
        case "float_parsing" | "float_type" | "finite_number":
            return Text("setting_number")
        case "string_type":
            return Text("setting_text")
        case "bool_parsing" | "bool_type":
            return Text("setting_yes_no")
        case "dict_type":
            return Text("setting_table")
        case "extra_forbidden":
            return Text("setting_unknown")
    return Text("setting_invalid", detail=error["msg"])
