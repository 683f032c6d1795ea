from __future__ import annotations

import pytest

from lanjie.couriers import courier_name, find_courier, identify, parse_partners, pattern_candidates
from lanjie.model import CourierSource


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("SF1385628716739", "shunfeng"),
        ("YT8962646785389", "yuantong"),
        ("JT5261988016578", "jtexpress"),
        ("JDX024407261700", "jd"),
        ("JDVA12345678901", "jd"),
        ("DPK202252612836", "debangkuaidi"),
        ("EA123456789CN", "ems"),
    ],
)
def test_letter_prefixes_decide_the_courier(number: str, code: str) -> None:
    parcel = identify(number)
    assert (parcel.courier, parcel.courier_source) == (code, CourierSource.PATTERN)


@pytest.mark.parametrize(
    ("number", "candidates"),
    [
        ("73610555582883", ("zhongtong",)),
        ("78610555582883", ("zhongtong",)),
        ("773277027280336", ("shentong",)),
        ("463431409940372", ("yunda",)),
        ("5123456789012", ("yunda",)),
        ("431234567890123", ("yunda", "shentong")),
        ("1207119765021", ("ems", "youzhengguonei")),
        ("9812345678901", ("ems", "youzhengguonei")),
    ],
)
def test_pure_digit_numbers_are_only_candidates(number: str, candidates: tuple[str, ...]) -> None:
    parcel = identify(number)
    assert parcel.courier is None
    assert parcel.courier_source is CourierSource.UNKNOWN
    assert sorted(parcel.candidates) == sorted(candidates)


def test_partners_narrow_digit_numbers_to_one() -> None:
    parcel = identify("73610555582883", partners=frozenset({"zhongtong", "yunda"}))
    assert (parcel.courier, parcel.courier_source) == ("zhongtong", CourierSource.PARTNERS)
    parcel = identify("431234567890123", partners=frozenset({"zhongtong", "yunda"}))
    assert (parcel.courier, parcel.courier_source) == ("yunda", CourierSource.PARTNERS)


def test_partners_that_do_not_settle_it_leave_it_undecided() -> None:
    both = identify("431234567890123", partners=frozenset({"shentong", "yunda"}))
    assert both.courier is None and sorted(both.candidates) == ["shentong", "yunda"]
    neither = identify("463431409940372", partners=frozenset({"zhongtong"}))
    assert neither.courier is None and neither.candidates == ("yunda",)


def test_a_known_courier_beats_the_number() -> None:
    parcel = identify("SF1385628716739", known="zhongtong")
    assert (parcel.courier, parcel.courier_source) == ("zhongtong", CourierSource.ORDER_EXPORT)
    parcel = identify("73610555582883", known="yunda", known_source=CourierSource.NAME)
    assert (parcel.courier, parcel.courier_source) == ("yunda", CourierSource.NAME)


def test_unmatched_numbers_have_no_candidates() -> None:
    parcel = identify("ABC123")
    assert parcel == (parcel.tracking_no, None, (), CourierSource.UNKNOWN)


def test_same_shape_numbers_get_the_same_answer_from_the_cache() -> None:
    assert pattern_candidates("73610555582883") == pattern_candidates("73999999999999")
    assert pattern_candidates("SF1385628716739") == (("shunfeng",), True)
    assert pattern_candidates("SF138562871673") == (("shunfeng",), True)
    assert pattern_candidates("SFX") == ((), False)


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
    assert courier_name(None) == "未识别快递"
