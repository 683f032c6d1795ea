"""The courier registry and the rules that decide which courier carries a parcel.

Couriers are identified by their 快递100 company code. Letter prefixes (SF, YT, JT …) are
reliable; pure-digit patterns overlap between couriers, so a digit-only match is only a
candidate until the shop's partner list (or a real courier name) settles it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from lanjie.model import AfterSale, CourierSource, Parcel


@dataclass(frozen=True, slots=True)
class NumberPattern:
    regex: re.Pattern[str]
    reliable: bool


@dataclass(frozen=True, slots=True)
class Courier:
    code: str
    name: str
    aliases: tuple[str, ...]
    patterns: tuple[NumberPattern, ...]


def _p(regex: str, *, reliable: bool) -> NumberPattern:
    return NumberPattern(re.compile(regex), reliable)


COURIERS: tuple[Courier, ...] = (
    Courier(
        "zhongtong",
        "中通",
        ("中通快递", "中通速递", "ZTO"),
        (_p(r"(?:7[3-6]|78)\d{12}", reliable=False), _p(r"\d{12}", reliable=False)),
    ),
    Courier(
        "yunda",
        "韵达",
        ("韵达快递", "韵达速递", "YUNDA"),
        (_p(r"[34]\d{14}", reliable=False), _p(r"5\d{12}", reliable=False)),
    ),
    Courier("shentong", "申通", ("申通快递", "STO"), (_p(r"(?:77|43)\d{12,15}", reliable=False),)),
    Courier("yuantong", "圆通", ("圆通速递", "圆通快递", "YTO"), (_p(r"YT\d{12,15}", reliable=True),)),
    Courier(
        "jtexpress", "极兔", ("极兔速递", "极兔快递", "J&T", "JTEXPRESS", "JITU"), (_p(r"JT\d{12,15}", reliable=True),)
    ),
    Courier(
        "shunfeng",
        "顺丰",
        ("顺丰速运", "顺丰快递", "顺丰速递", "SFEXPRESS"),
        (_p(r"SF[0-9A-Z]{11,15}", reliable=True),),
    ),
    Courier("jd", "京东", ("京东快递", "京东物流", "JDL"), (_p(r"JD[0-9A-Z]{13,16}", reliable=True),)),
    Courier("debangkuaidi", "德邦", ("德邦快递", "德邦物流", "DEPPON"), (_p(r"DPK\d{10,14}", reliable=True),)),
    Courier(
        "ems",
        "EMS",
        ("中国邮政EMS", "邮政EMS", "EMS快递", "E邮宝"),
        (_p(r"[A-Z]{2}\d{9}CN", reliable=True), _p(r"[189]\d{12}", reliable=False)),
    ),
    Courier(
        "youzhengguonei",
        "邮政",
        ("邮政快递包裹", "中国邮政", "邮政包裹", "邮政国内", "CHINAPOST"),
        (_p(r"[189]\d{12}", reliable=False),),
    ),
    Courier("huitongkuaidi", "百世", ("百世快递", "百世汇通", "汇通快递", "BEST"), ()),
)

BY_CODE: dict[str, Courier] = {c.code: c for c in COURIERS}
UNKNOWN_COURIER_NAME = "未识别快递"


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


def _alias_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for courier in COURIERS:
        for alias in (courier.code, courier.name, *courier.aliases):
            table[_norm(alias)] = courier.code
    return table


_ALIASES = _alias_table()
# Aliases that may be found inside longer text ("中通快递(ZTO)", "圆通速递 YT…"): all Chinese
# names, and Latin ones long enough not to occur by accident inside a tracking number.
_SEARCHABLE = sorted(
    (a for a in _ALIASES if not a.isascii() or (len(a) >= 3 and not a.isdigit())),
    key=len,
    reverse=True,
)


def courier_name(code: str | None) -> str:
    """The short Chinese name staff use (中通), or 未识别快递."""
    if code is None:
        return UNKNOWN_COURIER_NAME
    courier = BY_CODE.get(code)
    return courier.name if courier else code


def known_couriers() -> str:
    """All couriers as a user types them: zhongtong（中通）、yunda（韵达）…"""
    return "、".join(f"{code}（{c.name}）" for code, c in BY_CODE.items())


def find_courier(text: str) -> str | None:
    """Courier code for a name such as 中通快递 / ZTO / zhongtong; None when not recognised."""
    key = _norm(text)
    if not key:
        return None
    if key in _ALIASES:
        return _ALIASES[key]
    for alias in _SEARCHABLE:
        if alias in key:
            return _ALIASES[alias]
    return None


def parse_partners(values: Iterable[str]) -> tuple[frozenset[str], list[str]]:
    """Resolve partner names/codes; returns (codes, names that were not recognised)."""
    codes: set[str] = set()
    unknown: list[str] = []
    for value in values:
        for part in re.split(r"[,，、;；\s]+", value):
            if not part:
                continue
            code = _ALIASES.get(_norm(part))
            if code is None:
                unknown.append(part)
            else:
                codes.add(code)
    return frozenset(codes), unknown


_shape_cache: dict[tuple[str, int], tuple[tuple[str, ...], bool]] = {}
_DIGITS_TO_ZERO = str.maketrans("123456789", "000000000")


def _shape(tracking_no: str) -> tuple[str, int]:
    """Numbers of the same shape always fit the same patterns above: digit-only patterns
    are "a prefix of up to three digits + a length"; the others look at letters, never at
    which digit stands where."""
    if tracking_no.isdigit():
        return tracking_no[:3], len(tracking_no)
    return tracking_no.translate(_DIGITS_TO_ZERO), len(tracking_no)


def pattern_candidates(tracking_no: str) -> tuple[tuple[str, ...], bool]:
    """Couriers whose number patterns fit, and whether a reliable pattern decided it."""
    shape = _shape(tracking_no)
    cached = _shape_cache.get(shape)
    if cached is not None:
        return cached
    reliable_hits: list[str] = []
    hits: list[str] = []
    for courier in COURIERS:
        for pattern in courier.patterns:
            if pattern.regex.fullmatch(tracking_no):
                (reliable_hits if pattern.reliable else hits).append(courier.code)
                break
    result = (tuple(reliable_hits), True) if len(reliable_hits) == 1 else (tuple(reliable_hits + hits), False)
    _shape_cache[shape] = result
    return result


def identify(
    tracking_no: str,
    *,
    known: str | None = None,
    known_source: CourierSource = CourierSource.ORDER_EXPORT,
    partners: frozenset[str] = frozenset(),
) -> Parcel:
    """Decide the courier of one parcel, saying how it was decided.

    `known` is a courier already named by the data (order export or a courier column).
    Without it, a reliable pattern decides; otherwise the shop's partners must narrow the
    candidates to exactly one. Anything else stays undecided, with its candidates.
    """
    if known is not None:
        return Parcel(tracking_no, known, (known,), known_source)
    candidates, reliable = pattern_candidates(tracking_no)
    if reliable:
        return Parcel(tracking_no, candidates[0], candidates, CourierSource.PATTERN)
    if partners:
        narrowed = tuple(c for c in candidates if c in partners)
        if len(narrowed) == 1:
            return Parcel(tracking_no, narrowed[0], candidates, CourierSource.PARTNERS)
        if narrowed:
            candidates = narrowed
    return Parcel(tracking_no, None, candidates, CourierSource.UNKNOWN)


def assign_couriers(records: Iterable[AfterSale], *, by_tracking_no: dict[str, str], partners: frozenset[str]) -> None:
    """Identify every parcel: order export first, then a courier column, then the number."""
    for record in records:
        hint = find_courier(record.courier_hint) if record.courier_hint else None
        parcels = []
        for parcel in record.parcels:
            from_orders = by_tracking_no.get(parcel.tracking_no)
            if from_orders is not None:
                parcels.append(identify(parcel.tracking_no, known=from_orders))
            else:
                parcels.append(
                    identify(parcel.tracking_no, known=hint, known_source=CourierSource.NAME, partners=partners)
                )
        record.parcels = tuple(parcels)
