"""The courier registry and the rules that decide which courier carries a parcel.

Couriers are identified by their 快递100 company code. Each courier lists every number shape
the sources below give it, and each shape says where it comes from. A number whose shape fits
exactly one courier is that courier's (CourierSource.PATTERN), as staff read 14 digits starting
73 as 中通. A shape that fits several couriers is only a guess: the shop's partner couriers may
narrow it to one (CourierSource.PARTNERS); otherwise it stays 未识别快递 with its candidates.

Sources, by the short names used below:

- DOMAIN.md: the domain notes shared with this project, section 3 (shapes, real sample numbers);
- BF-zh: github.com/BF-zh/Courier-Validation `src/pattern/*.ts` (npm `courier-validation`), the
  identification rule set behind DOMAIN.md's table;
- 淘宝: 淘宝开放平台 `taobao.logistics.companies.get` `reg_mail_no`, validation regexes whose
  public copies from 2017, 2018 and 2022 differ (2022: the `is_valid_logistic_no` Hive UDF,
  `UDFLogisticNoValid`). Their prefix ranges count; their length-only alternatives (中通 "any 14
  digits", 韵达 "any 15 digits") do not: they only check a length, and every other source
  narrows them (中通 7[3-68], 韵达 [34], 申通 77);
- UPU S10: the international 13-character item identifier, 2 letters + 9 digits + country; the
  service indicator E is EMS.

Deliberate choices, to keep a silent wrong assignment impossible where the sources disagree:

- 12 and 13 digits are shared lengths. 12 digits: old 中通 and 顺丰 numbers of any first digit,
  old 申通 ranges. 13 digits: China Post (EMS and 邮政快递包裹, not separated by the sources)
  today, old 韵达 and 申通 ranges. So a 12- or 13-digit number is never decided by its shape.
- EMS and 邮政 share their shapes unless a source separates them (S10 `E…CN` is EMS; 淘宝
  lists the `GA/KQ/PH…` letters under 邮政快递包裹 only).
- 百世快递 passed to 极兔 in 2021 and its parcels carry JT numbers (DOMAIN.md; 淘宝 百世快递
  `JT…`). Its old shapes (14 digits starting 6 or 7, 5…, A/B/D/E + 12 digits, K8…, BXA…) are
  not registered: no new parcel carries them, and "14 digits starting 7" would make every 中通
  number ambiguous. Shapes no current parcel carries and that only one old source gives are
  left out too (中通 A/B/H + 13 digits, 15 digits starting 2710; 韵达 16 digits; 菜鸟 621…).
- No digit-only shape starts with 0: ingest restores numbers Excel stored as floats only when
  they have a known shape, and a float has lost any leading 0.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from lanjie.model import AfterSale, CourierSource, Parcel


@dataclass(frozen=True, slots=True)
class NumberPattern:
    """One number shape of one courier, and where it comes from.

    Digit-only shapes are "one of some prefixes + a length"; `prefix_len` is how many leading
    digits they look at. Other shapes spell out their letters and treat every digit alike
    (`prefix_len` 0). `_shape` relies on both.
    """

    regex: re.Pattern[str]
    source: str
    prefix_len: int = 0


@dataclass(frozen=True, slots=True)
class Courier:
    code: str
    name: str
    aliases: tuple[str, ...]
    patterns: tuple[NumberPattern, ...]


_CLASS_OR_CHAR = re.compile(r"\[[^\]]*\]|.")


def _digits(prefixes: str, lengths: int | tuple[int, ...], source: str) -> NumberPattern:
    """All-digit numbers of the given lengths that start with one of the space-separated
    prefixes; a prefix is digits and character classes, e.g. `7[3-68] 43`."""
    alternatives = []
    width = 0
    for prefix in prefixes.split():
        positions = _CLASS_OR_CHAR.findall(prefix)
        if not all(p.startswith("[") or p.isdigit() for p in positions) or re.fullmatch(positions[0], "0"):
            raise ValueError(f"a prefix is digits and classes, never starting with 0: {prefix}")
        width = max(width, len(positions))
        for length in (lengths,) if isinstance(lengths, int) else lengths:
            alternatives.append(f"{prefix}[0-9]{{{length - len(positions)}}}")
    return NumberPattern(re.compile("(?:" + "|".join(alternatives) + ")", re.ASCII), source, width)


def _letters(regex: str, source: str) -> NumberPattern:
    """A shape with letters in it; digits only as `[0-9]`/`\\d` (any digit), never literal."""
    if re.search(r"[0-9]", re.sub(r"\{[0-9,]+\}|0-9", "", regex)):
        raise ValueError(f"a letter shape must treat every digit alike: {regex}")
    return NumberPattern(re.compile(regex, re.ASCII), source)


_TAOBAO_STO = "淘宝 reg_mail_no 申通 (2017, 2018, 2022)"
# China Post's 13 digits, for both EMS and 邮政快递包裹: BF-zh and DOMAIN.md give [189]; 淘宝 gives
# EMS 10/11/12/50/51/52/95/97/98/99 and 邮政快递包裹 96/98/99 and (2022) any 13 digits, with a
# 邮政 sample 4309597495550.
_POST_13 = _digits("[1-9]", 13, "DOMAIN.md; BF-zh EMS.ts; 淘宝 EMS and 邮政快递包裹")
_POST_S10 = _letters(r"[A-DF-Z][A-Z][0-9]{9}CN", "DOMAIN.md (XX+9 digits+CN, EMS/邮政); UPU S10")
_POST_P = _letters(r"P[A-Z][0-9]{11}", "BF-zh EMS.ts (one rule for EMS and 邮政)")

COURIERS: tuple[Courier, ...] = (
    Courier(
        "zhongtong",
        "中通",
        ("中通快递", "中通速递", "ZTO"),
        (
            _digits("7[3-68]", 14, "DOMAIN.md; BF-zh ZTO.ts; 淘宝 中通 (2022: 731…, 751…, 7320…)"),
            _digits("[1-9]", 12, "old numbers: 快递单号正则 notes (12位); 淘宝 中通 ranges under every first digit"),
        ),
    ),
    Courier(
        "yunda",
        "韵达",
        ("韵达快递", "韵达速递", "YUNDA"),
        (
            _digits("[34]", 15, "DOMAIN.md; BF-zh YUNDA.ts"),
            _digits("5 1 31 39 66 77 80 88", 13, "old numbers: BF-zh YUNDA.ts (5…); 淘宝 韵达 (10–19, 31 …)"),
        ),
    ),
    Courier(
        "shentong",
        "申通",
        ("申通快递", "STO"),
        (
            _digits("77 43", (14, 15, 16, 17), "DOMAIN.md; BF-zh STO.ts; 淘宝 申通 2022 (773…, 77 + 13 digits)"),
            _digits("88 99", 15, "淘宝 申通 2022 (88|99 + 13 digits)"),
            _digits("4 11 22 33 37 55 66 77 88 99 [2-9]68 [568]88 773", 13, "old numbers: " + _TAOBAO_STO),
            _digits("4 11 22 [2-9]68 [568]88 773", 12, "old numbers: " + _TAOBAO_STO),
            _letters(r"STO[0-9]{10}", _TAOBAO_STO),
        ),
    ),
    Courier(
        "yuantong",
        "圆通",
        ("圆通速递", "圆通快递", "YTO"),
        (_letters(r"YT[0-9]{12,15}", "DOMAIN.md; BF-zh YTO.ts (YT + 13 digits)"),),
    ),
    Courier(
        "jtexpress",
        "极兔",
        ("极兔速递", "极兔快递", "J&T", "JTEXPRESS", "JITU"),
        (_letters(r"JT[0-9]{12,15}", "DOMAIN.md; BF-zh JT.ts; 淘宝 极兔速递 (JT + 12–13 digits)"),),
    ),
    Courier(
        "shunfeng",
        "顺丰",
        ("顺丰速运", "顺丰快递", "顺丰速递", "SFEXPRESS"),
        (
            _letters(r"SF[0-9A-Z]{11,15}", "DOMAIN.md; BF-zh SF.ts (SF + 13 characters)"),
            # 顺丰's older all-digit numbers: "只能为12位数字" (public 快递单号正则 notes), and
            # 12-digit 顺丰 samples in 快递100's and 快递鸟's API examples (786187979245, 118461988807).
            _digits("[1-9]", 12, "old numbers: public 快递单号正则 notes; 快递100 and 快递鸟 samples"),
        ),
    ),
    Courier(
        "jd",
        "京东",
        ("京东快递", "京东物流", "JDL"),
        (_letters(r"JD[0-9A-Z]{13,16}", "DOMAIN.md; BF-zh JD.ts; 淘宝 京东物流 (JDX/JDK/JDV…)"),),
    ),
    Courier(
        "debangkuaidi",
        "德邦",
        ("德邦快递", "德邦物流", "DEPPON"),
        (_letters(r"DPK[0-9]{10,14}", "DOMAIN.md; BF-zh DPK.ts; 淘宝 德邦 (DPK…)"),),
    ),
    Courier(
        "ems",
        "EMS",
        ("中国邮政EMS", "邮政EMS", "EMS快递", "E邮宝"),
        (_letters(r"E[A-Z][0-9]{9}CN", "UPU S10 (E = EMS); 淘宝 EMS"), _POST_S10, _POST_P, _POST_13),
    ),
    Courier(
        "youzhengguonei",
        "邮政",
        ("邮政快递包裹", "中国邮政", "邮政包裹", "邮政国内", "CHINAPOST"),
        (_POST_S10, _POST_P, _POST_13, _letters(r"[AGHKPQ]{2}[0-9]{11}", "淘宝 邮政快递包裹 (GA/KQ/PH…)")),
    ),
    # No number shape: see the module notes (百世's parcels carry JT numbers now).
    Courier("huitongkuaidi", "百世", ("百世快递", "百世汇通", "汇通快递", "BEST"), ()),
    Courier(
        "zhaijisong",
        "宅急送",
        ("宅急送快递", "ZJS"),
        (_letters(r"ZJS[0-9]{12}", "淘宝 宅急送 (2022)"),),
    ),
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


@lru_cache(maxsize=1024)  # a courier column repeats a few names on every row
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


# How many leading digits the digit-only shapes look at; with the length, they decide.
_PREFIX_LEN = max(pattern.prefix_len for courier in COURIERS for pattern in courier.patterns)
# On the UTF-8 bytes (lone surrogates too): several times faster than str.translate, and no
# other character has a byte in 0x31–0x39.
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_shape_cache: dict[tuple[bool, str | bytes, int], tuple[tuple[str, ...], bool]] = {}


def _shape(tracking_no: str) -> tuple[bool, str | bytes, int]:
    """A key that numbers fitting the same patterns share, for the cache (100k rows have a
    few dozen shapes). Digit-only shapes look at `_PREFIX_LEN` leading digits and the length;
    the others spell out letters and never care which digit stands where."""
    if tracking_no.isascii() and tracking_no.isdigit():
        return True, tracking_no[:_PREFIX_LEN], len(tracking_no)
    return False, tracking_no.encode("utf-8", "surrogatepass").translate(_DIGITS_TO_ZERO), len(tracking_no)


def _fitting(tracking_no: str) -> tuple[str, ...]:
    return tuple(
        courier.code
        for courier in COURIERS
        if any(pattern.regex.fullmatch(tracking_no) for pattern in courier.patterns)
    )


def pattern_candidates(tracking_no: str) -> tuple[tuple[str, ...], bool]:
    """Couriers whose number shapes fit (registry order), and whether that settles it: True
    exactly when one courier fits."""
    shape = _shape(tracking_no)
    cached = _shape_cache.get(shape)
    if cached is None:
        hits = _fitting(tracking_no)
        cached = _shape_cache[shape] = (hits, len(hits) == 1)
    return cached


def identify(
    tracking_no: str,
    *,
    known: str | None = None,
    known_source: CourierSource = CourierSource.ORDER_EXPORT,
    partners: frozenset[str] = frozenset(),
) -> Parcel:
    """Decide the courier of one parcel, saying how it was decided.

    `known` is a courier already named by the data (order export or a courier column).
    Without it, a number whose shape fits exactly one courier is that courier's; a shape
    with several candidates needs the shop's partners to narrow it to exactly one. Anything
    else stays undecided, with its candidates (narrowed to the partners among them, if any).
    """
    return _identify(tracking_no, known, known_source, partners)


# Read once: `CourierSource.PATTERN` is a lookup through the enum's class each time (Python 3.11).
_ORDER_EXPORT, _NAME, _PATTERN = CourierSource.ORDER_EXPORT, CourierSource.NAME, CourierSource.PATTERN


def _identify(tracking_no: str, known: str | None, known_source: CourierSource, partners: frozenset[str]) -> Parcel:
    if known is not None:
        return Parcel(tracking_no, known, (known,), known_source)
    candidates, decided = pattern_candidates(tracking_no)
    if decided:
        return Parcel(tracking_no, candidates[0], candidates, _PATTERN)
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
        if not record.parcels:
            continue
        hint = find_courier(record.courier_hint) if record.courier_hint else None
        parcels = []
        for parcel in record.parcels:
            number = parcel.tracking_no
            from_orders = by_tracking_no.get(number)
            if from_orders is not None:
                parcels.append(_identify(number, from_orders, _ORDER_EXPORT, partners))
            else:
                parcels.append(_identify(number, hint, _NAME, partners))
        record.parcels = tuple(parcels)
