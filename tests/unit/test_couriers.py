from __future__ import annotations

import itertools

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lanjie.couriers import (
    _PREFIX_LEN,
    BY_CODE,
    COURIERS,
    _digits,
    _letters,
    _shape,
    courier_name,
    find_courier,
    identify,
    parse_partners,
    pattern_candidates,
)
from lanjie.model import CourierSource


def fitting(number: str) -> tuple[str, ...]:
    """Every courier whose patterns fit, by trying them all: no cache, no shape key."""
    return tuple(c.code for c in COURIERS if any(p.regex.fullmatch(number) for p in c.patterns))


# --- real numbers -----------------------------------------------------------------------
# DOMAIN.md §3's samples, and real numbers from the public sources the registry cites.


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("SF1385628716739", "shunfeng"),  # DOMAIN.md
        ("YT8962646785389", "yuantong"),  # DOMAIN.md
        ("JT5261988016578", "jtexpress"),  # DOMAIN.md
        ("JDX024407261700", "jd"),  # DOMAIN.md
        ("DPK202252612836", "debangkuaidi"),  # DOMAIN.md
        ("JDVA11408814483", "jd"),  # 淘宝-rule samples (is_valid_logistic_no)
        ("JT0006968326954", "jtexpress"),
        ("JT3002232682242", "jtexpress"),  # a 百世 parcel: JT, handled by 极兔
        ("DPK364112047425", "debangkuaidi"),
        ("DPK300585915441", "debangkuaidi"),
        ("EA123456789CN", "ems"),  # UPU S10: E = EMS
        ("STO0123456789", "shentong"),
        ("ZJS012345678901", "zhaijisong"),
        ("KQ12345678901", "youzhengguonei"),  # 淘宝 lists GA/KQ/PH… under 邮政快递包裹 only
    ],
)
def test_letter_prefixes_decide_the_courier(number: str, code: str) -> None:
    parcel = identify(number)
    assert (parcel.courier, parcel.candidates, parcel.courier_source) == (code, (code,), CourierSource.PATTERN)


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("73610555582883", "zhongtong"),  # DOMAIN.md: 14 digits, 73–76 or 78
        ("75000000000001", "zhongtong"),
        ("78610555582883", "zhongtong"),
        ("773277027280336", "shentong"),  # DOMAIN.md: 15 digits starting 77
        ("77316523125896", "shentong"),  # 14 digits starting 773 (淘宝-rule sample)
        ("881234567890123", "shentong"),  # 淘宝 2022: 88/99 + 13 digits
        ("463431409940372", "yunda"),  # DOMAIN.md: 15 digits starting 3/4
        ("462598779470531", "yunda"),  # 淘宝-rule sample
        ("312345678901234", "yunda"),
    ],
)
def test_digit_shapes_of_exactly_one_courier_decide_it(number: str, code: str) -> None:
    parcel = identify(number)
    assert (parcel.courier, parcel.candidates, parcel.courier_source) == (code, (code,), CourierSource.PATTERN)


@pytest.mark.parametrize(
    ("number", "candidates"),
    [
        # 15 digits starting 43: 韵达 ([34]…) and 申通 (77|43…) both, per BF-zh and DOMAIN.md
        ("431234567890123", ("yunda", "shentong")),
        ("432542035598773", ("yunda", "shentong")),
        # 13 digits: China Post today (EMS and 邮政 not separated), old 韵达 and 申通 ranges
        ("1207119765021", ("yunda", "ems", "youzhengguonei")),  # DOMAIN.md's EMS/邮政 sample
        ("1240921381750", ("yunda", "ems", "youzhengguonei")),  # a 邮政快递包裹 sample
        ("4309597495550", ("shentong", "ems", "youzhengguonei")),  # a 邮政快递包裹 sample
        ("9812345678901", ("ems", "youzhengguonei")),
        ("5123456789012", ("yunda", "ems", "youzhengguonei")),
        # 12 digits: old 中通 and 顺丰 numbers of any first digit, old 申通 ranges
        ("786187979245", ("zhongtong", "shunfeng")),  # a 顺丰 sample (快递100)
        ("118461988807", ("zhongtong", "shentong", "shunfeng")),  # a 顺丰 sample (快递鸟)
        ("268123456789", ("zhongtong", "shentong", "shunfeng")),
        ("RR123456789CN", ("ems", "youzhengguonei")),  # S10 other than E…: China Post, not which
        ("PA12345678901", ("ems", "youzhengguonei")),
        ("SF123456789CN", ("shunfeng", "ems", "youzhengguonei")),
    ],
)
def test_shapes_shared_by_several_couriers_are_only_candidates(number: str, candidates: tuple[str, ...]) -> None:
    parcel = identify(number)
    assert (parcel.courier, parcel.candidates, parcel.courier_source) == (None, candidates, CourierSource.UNKNOWN)


def test_partners_narrow_shared_shapes_to_one() -> None:
    parcel = identify("431234567890123", partners=frozenset({"zhongtong", "yunda"}))
    assert (parcel.courier, parcel.courier_source) == ("yunda", CourierSource.PARTNERS)
    assert parcel.candidates == ("yunda", "shentong")  # the guess stays visible
    parcel = identify("1207119765021", partners=frozenset({"zhongtong", "youzhengguonei"}))
    assert (parcel.courier, parcel.courier_source) == ("youzhengguonei", CourierSource.PARTNERS)
    parcel = identify("786187979245", partners=frozenset({"shunfeng", "yunda"}))
    assert (parcel.courier, parcel.courier_source) == ("shunfeng", CourierSource.PARTNERS)


def test_partners_that_do_not_settle_it_leave_it_undecided() -> None:
    both = identify("431234567890123", partners=frozenset({"shentong", "yunda"}))
    assert (both.courier, both.candidates, both.courier_source) == (None, ("yunda", "shentong"), CourierSource.UNKNOWN)
    neither = identify("431234567890123", partners=frozenset({"zhongtong"}))
    assert (neither.courier, neither.candidates) == (None, ("yunda", "shentong"))
    some = identify("118461988807", partners=frozenset({"zhongtong", "shunfeng", "yunda"}))
    assert (some.courier, some.candidates) == (None, ("zhongtong", "shunfeng"))


def test_partners_do_not_overrule_a_shape_of_one_courier() -> None:
    parcel = identify("773277027280336", partners=frozenset({"zhongtong", "yunda"}))
    assert (parcel.courier, parcel.courier_source) == ("shentong", CourierSource.PATTERN)


def test_a_known_courier_beats_the_number() -> None:
    parcel = identify("SF1385628716739", known="zhongtong")
    assert (parcel.courier, parcel.courier_source) == ("zhongtong", CourierSource.ORDER_EXPORT)
    parcel = identify("73610555582883", known="yunda", known_source=CourierSource.NAME)
    assert (parcel.courier, parcel.courier_source) == ("yunda", CourierSource.NAME)


@pytest.mark.parametrize(
    "number",
    ["ABC123", "0736105555828", "73610555582", "72610555582883", "256885257273993", "7361055558288³", "SFX"],
)
def test_unmatched_numbers_have_no_candidates(number: str) -> None:
    parcel = identify(number)
    assert parcel == (number, None, (), CourierSource.UNKNOWN)


def test_old_baishi_numbers_are_not_guessed_but_jt_goes_to_jitu() -> None:
    # 百世's parcels carry JT numbers since 极兔 took it over; its old shapes are not registered.
    assert BY_CODE["huitongkuaidi"].patterns == ()
    assert identify("JT3002232682242").courier == "jtexpress"


@given(st.text(max_size=20))
@example("JT\ud800123456789012")  # a lone surrogate: no UTF-8 of its own
@example("ＪＴ１２３４５６７８９０１２３")
@example("٣٦١٠٥٥٥٥٨٢٨٨٣")
@example("EA١٢٣٤٥٦٧٨٩CN")
def test_any_text_gets_the_answer_of_trying_every_pattern(text: str) -> None:
    hits = fitting(text)
    assert pattern_candidates(text) == (hits, len(hits) == 1)


def test_same_shape_numbers_get_the_same_answer_from_the_cache() -> None:
    assert pattern_candidates("73610555582883") == pattern_candidates("73999999999999") == (("zhongtong",), True)
    assert pattern_candidates("SF1385628716739") == (("shunfeng",), True)
    assert pattern_candidates("SF138562871673") == (("shunfeng",), True)
    assert pattern_candidates("431234567890123") == (("yunda", "shentong"), False)
    assert pattern_candidates("SFX") == ((), False)


# --- the registry's own rules -----------------------------------------------------------


def test_every_pattern_says_where_it_comes_from() -> None:
    for courier in COURIERS:
        for pattern in courier.patterns:
            assert pattern.source.strip(), (courier.code, pattern.regex.pattern)


def test_no_digit_shape_starts_with_0() -> None:
    """Ingest restores numbers Excel stored as floats only when their shape is known: a float
    has lost any leading 0, so no known digit-only shape may start with one."""
    for length, rest in itertools.product(range(1, 25), ("0" * 24, "5" * 24, "9" * 24)):
        for head in range(10 ** (_PREFIX_LEN - 1)):
            number = (f"0{head:0{_PREFIX_LEN - 1}d}" + rest)[:length]
            assert fitting(number) == (), number


def test_shape_helpers_refuse_what_would_break_the_cache() -> None:
    with pytest.raises(ValueError, match="never starting with 0"):
        _digits("0[1-9]", 12, "x")
    with pytest.raises(ValueError, match="never starting with 0"):
        _digits("7A", 12, "x")
    with pytest.raises(ValueError, match="every digit alike"):
        _letters(r"YT22[0-9]{14}", "x")
    assert _letters(r"E[A-Z][0-9]{9}CN", "x").prefix_len == 0
    assert _digits("7[3-68] 773", (14, 15), "x").prefix_len == 3


def test_every_digit_prefix_and_length_fits_the_same_couriers_whatever_follows() -> None:
    """Exhaustive over the shape key of digit-only numbers: all `_PREFIX_LEN`-digit prefixes
    and every length, with very different remaining digits."""
    for length in range(1, 21):
        for head in range(10**_PREFIX_LEN):
            prefix = f"{head:0{_PREFIX_LEN}d}"
            numbers = {(prefix + rest * length)[:length] for rest in ("0", "9", "5", "31")}
            assert len({fitting(n) for n in numbers}) == 1, numbers


# --- properties -------------------------------------------------------------------------

_KNOWN_HEADS = [
    "7", "73", "75", "77", "773", "78", "43", "4", "3", "88", "99", "1", "12", "5", "50", "268", "588", "9", "98",
]  # fmt: skip
_LETTER_HEADS = ["SF", "YT", "JT", "JD", "JDX", "JDV", "DPK", "STO", "ZJS", "EA", "RR", "PA", "KQ", "GA", "E", "P", ""]

digit_numbers = st.builds(
    lambda head, tail, length: (head + tail)[:length],
    st.one_of(st.sampled_from(_KNOWN_HEADS), st.text(alphabet="0123456789", max_size=3)),
    st.text(alphabet="0123456789", min_size=20, max_size=20),
    st.one_of(st.sampled_from([12, 13, 14, 15, 16, 17]), st.integers(min_value=1, max_value=20)),
)
letter_numbers = st.builds(
    lambda head, body, tail: head + body + tail,
    st.sampled_from(_LETTER_HEADS),
    st.text(alphabet="0123456789" * 4 + "ABCNZ", min_size=0, max_size=18),
    st.sampled_from(["", "", "CN", "X"]),
)
odd_numbers = st.text(alphabet="0123456789AESFTCN²٣a", min_size=1, max_size=18)
numbers = st.one_of(digit_numbers, letter_numbers, odd_numbers)


@st.composite
def same_shape_pairs(draw: st.DrawFn) -> tuple[str, str]:
    """A number and another one that only differs where the shape key does not look."""
    number = draw(numbers)
    if number.isascii() and number.isdigit():
        tail = draw(st.text(alphabet="0123456789", min_size=len(number), max_size=len(number)))
        other = number[:_PREFIX_LEN] + tail[_PREFIX_LEN:]
    else:
        other = "".join(draw(st.sampled_from("0123456789")) if c in "0123456789" else c for c in number)
    return number, other


@given(numbers)
@example("73610555582883")
@example("431234567890123")
@example("7361055558288²")
def test_the_cached_answer_is_the_answer_of_all_patterns(number: str) -> None:
    hits = fitting(number)
    assert pattern_candidates(number) == (hits, len(hits) == 1)


@settings(max_examples=300)
@given(same_shape_pairs())
@example(("77316523125896", "77399999999999"))
@example(("EA123456789CN", "EA999999999CN"))
def test_numbers_of_one_shape_fit_the_same_patterns(pair: tuple[str, str]) -> None:
    number, other = pair
    assert _shape(number) == _shape(other)
    pattern_candidates(number)  # fills the cache for the shape
    assert fitting(number) == fitting(other)
    assert pattern_candidates(other) == (fitting(other), len(fitting(other)) == 1)


@given(numbers, st.frozensets(st.sampled_from(sorted(BY_CODE)), max_size=3))
def test_the_pattern_decides_only_when_exactly_one_courier_fits(number: str, partners: frozenset[str]) -> None:
    hits = fitting(number)
    parcel = identify(number, partners=partners)
    if len(hits) == 1:
        assert (parcel.courier, parcel.candidates, parcel.courier_source) == (hits[0], hits, CourierSource.PATTERN)
    elif parcel.courier_source is CourierSource.PARTNERS:
        assert [c for c in hits if c in partners] == [parcel.courier] and parcel.candidates == hits
    else:
        assert parcel.courier is None and parcel.courier_source is CourierSource.UNKNOWN
        narrowed = tuple(c for c in hits if c in partners)
        assert parcel.candidates == (narrowed or hits)


# --- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("中通快递", "zhongtong"),
        ("中通", "zhongtong"),
        ("ZTO", "zhongtong"),
        ("zhongtong", "zhongtong"),
        ("韵达速递", "yunda"),
        ("极兔速递(J&T)", "jtexpress"),
        ("顺丰速运 ", "shunfeng"),
        ("中国邮政EMS", "ems"),
        ("邮政快递包裹", "youzhengguonei"),
        ("京东物流", "jd"),
        ("圆通速递有限公司", "yuantong"),
        ("宅急送", "zhaijisong"),
        ("火星快递", None),
        ("", None),
    ],
)
def test_find_courier_by_name(text: str, code: str | None) -> None:
    assert find_courier(text) == code


def test_parse_partners() -> None:
    codes, unknown = parse_partners(["zhongtong,韵达", "STO，极兔"])
    assert codes == {"zhongtong", "yunda", "shentong", "jtexpress"}
    assert unknown == []
    assert parse_partners(["zhongtong,mars"])[1] == ["mars"]


def test_courier_names() -> None:
    assert courier_name("zhongtong") == "中通"
    assert courier_name("zhaijisong") == "宅急送"
    assert courier_name(None) == "未识别快递"
