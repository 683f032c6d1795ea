from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanjie.ingest.clean import (
    MSG_BAD_TRACKING,
    MSG_NOT_INTEGER,
    MSG_SCIENTIFIC,
    MSG_TOO_LONG_FLOAT,
    MSG_ZEROS,
    SHANGHAI,
    clean_id,
    parse_money,
    parse_time,
    plain_text,
    split_tracking,
    unprotect,
)


@pytest.mark.parametrize(
    "cell",
    [
        "\t6928123456789012345",
        "'6928123456789012345",
        '="6928123456789012345"',
        " 6928123456789012345 ",
        "６９２８１２３４５６７８９０１２３４５",
        "\u200b6928123456789012345",
        '"6928123456789012345"',
        "\t'6928123456789012345",
        '="\t6928123456789012345"',
    ],
)
def test_id_protections_are_undone(cell: str) -> None:
    assert clean_id(cell) == ("6928123456789012345", None)


def test_integral_float_with_at_most_15_digits_is_restored_exactly() -> None:
    assert clean_id(773012345678901.0) == ("773012345678901", None)
    assert clean_id(73610555582883.0) == ("73610555582883", None)
    assert split_tracking(773012345678901.0) == (["773012345678901"], [])


def test_float_that_lost_digits_is_refused_never_used() -> None:
    assert clean_id(6.928123456789012e18) == (None, MSG_TOO_LONG_FLOAT)
    assert clean_id(1234567890123456.0) == (None, MSG_TOO_LONG_FLOAT)
    assert clean_id(773012000000000.0) == (None, MSG_ZEROS)  # 7.73012E+14 typed back into a cell
    assert clean_id(7730.5) == (None, MSG_NOT_INTEGER)
    assert clean_id(math.inf) == (None, MSG_NOT_INTEGER)


@pytest.mark.parametrize("cell", ["7.73012E+14", "7.73012e+14", "6.92812E+18", "７.７３０１２Ｅ＋１４", "1E+14"])
def test_scientific_notation_text_is_refused(cell: str) -> None:
    assert clean_id(cell) == (None, MSG_SCIENTIFIC)
    assert split_tracking(cell) == ([], [MSG_SCIENTIFIC])


def test_float_written_as_text_is_restored_when_exact() -> None:
    assert clean_id("773012345678901.0") == ("773012345678901", None)
    assert clean_id("6928123456789012345.0") == (None, MSG_TOO_LONG_FLOAT)


def test_empty_ids() -> None:
    assert clean_id(None) == (None, None)
    assert clean_id("") == (None, None)
    assert clean_id("\t") == (None, None)
    assert clean_id('=""') == (None, None)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("73610555582883", ["73610555582883"]),
        ("sf1385628716739", ["SF1385628716739"]),
        ("YT8962646785389,JT5261988016578", ["YT8962646785389", "JT5261988016578"]),
        ("YT8962646785389，JT5261988016578", ["YT8962646785389", "JT5261988016578"]),
        ("YT8962646785389；JT5261988016578", ["YT8962646785389", "JT5261988016578"]),
        ("YT8962646785389、JT5261988016578", ["YT8962646785389", "JT5261988016578"]),
        ("YT8962646785389/JT5261988016578", ["YT8962646785389", "JT5261988016578"]),
        ("YT8962646785389\nJT5261988016578", ["YT8962646785389", "JT5261988016578"]),
        ("YT8962646785389  JT5261988016578", ["YT8962646785389", "JT5261988016578"]),
        ("YT8962646785389,YT8962646785389", ["YT8962646785389"]),
        ('="YT8962646785389"', ["YT8962646785389"]),
        ("\tYT8962646785389, \t'JT5261988016578", ["YT8962646785389", "JT5261988016578"]),
        ("ＹＴ８９６２６４６７８５３８９", ["YT8962646785389"]),
        ("", []),
        ("-", []),
        ("无", []),
        ("暂无", []),
        (None, []),
    ],
)
def test_split_tracking(cell: object, expected: list[str]) -> None:
    assert split_tracking(cell) == (expected, [])


def test_tracking_with_foreign_characters_is_reported_not_cleaned() -> None:
    assert split_tracking("中通73610555582883") == ([], [MSG_BAD_TRACKING])
    numbers, problems = split_tracking("YT8962646785389,单号#12")
    assert numbers == ["YT8962646785389"]
    assert problems == [MSG_BAD_TRACKING]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("159", Decimal("159")),
        ("¥89.50", Decimal("89.50")),
        ("￥89.50", Decimal("89.50")),
        ("89.50元", Decimal("89.50")),
        ("1,299.00", Decimal("1299.00")),
        (89.5, Decimal("89.5")),
        (159, Decimal(159)),
        ("-", None),
        ("", None),
        (None, None),
        ("--", None),
    ],
)
def test_money(cell: object, expected: Decimal | None) -> None:
    assert parse_money(cell) == (expected, None)


def test_unreadable_money_is_reported() -> None:
    amount, problem = parse_money("八十九")
    assert amount is None and problem
    assert parse_money("NaN")[0] is None
    assert parse_money(math.nan)[0] is None


@pytest.mark.parametrize(
    "cell",
    [
        "2026-11-26 09:30:00",
        "2026/11/26 09:30:00",
        "2026-11-26T09:30:00",
        "2026年11月26日 09:30:00",
        "2026/11/26 9:30",
        "2026-11-26 09:30",
        "2026-11-26T01:30:00+00:00",
        datetime(2026, 11, 26, 9, 30),
        46352.395833333336,
    ],
)
def test_times_become_aware_beijing_time(cell: object) -> None:
    moment, problem = parse_time(cell)
    assert problem is None
    assert moment == datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)
    assert moment is not None and moment.utcoffset() == timedelta(hours=8)


def test_dates_and_bad_times() -> None:
    assert parse_time(date(2026, 11, 26)) == (datetime(2026, 11, 26, tzinfo=SHANGHAI), None)
    assert parse_time("") == (None, None)
    assert parse_time("-") == (None, None)
    moment, problem = parse_time("明天下午")
    assert moment is None and problem
    assert parse_time("2026-13-45 10:00")[1]


def test_plain_text() -> None:
    assert plain_text(None) == ""
    assert plain_text(" 买家已签收 ") == "买家已签收"
    assert plain_text(159.0) == "159"
    assert plain_text(1.5) == "1.5"


# --- properties -------------------------------------------------------------------------

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_FULL = str.maketrans(_ALNUM, "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ")
tracking_numbers = st.one_of(
    st.text(alphabet="0123456789", min_size=8, max_size=20).filter(lambda s: s.strip("0")),
    st.builds(
        lambda p, d: p + d,
        st.sampled_from(["SF", "YT", "JT", "JDX", "DPK", "EA"]),
        st.text(alphabet="0123456789", min_size=9, max_size=15),
    ),
)
spaces = st.text(alphabet=" \t\u3000\r\n\u200b", max_size=3)


@st.composite
def wrapped(draw: st.DrawFn, number: str) -> str:
    text = number
    if draw(st.booleans()):
        text = text.translate(_FULL)
    if draw(st.booleans()):
        text = text.lower()
    wrapper = draw(st.sampled_from(["{}", "\t{}", "'{}", '="{}"', '"{}"', "\t'{}", "＝＂{}＂"]))
    return draw(spaces) + wrapper.format(draw(spaces) + text + draw(spaces)) + draw(spaces)


@given(st.data(), tracking_numbers)
def test_tracking_number_survives_any_wrapping_unchanged(data: st.DataObject, number: str) -> None:
    cell = data.draw(wrapped(number))
    assert split_tracking(cell) == ([number], [])
    assert clean_id(cell) == (number, None)


@given(st.lists(tracking_numbers, min_size=1, max_size=4, unique=True), st.data())
def test_split_cells_keep_every_number(numbers: list[str], data: st.DataObject) -> None:
    separators = [data.draw(st.sampled_from([",", "，", ";", "；", "、", "/", " ", "\n", " , "])) for _ in numbers]
    cell = "".join(sep + data.draw(wrapped(n)) for sep, n in zip(separators, numbers, strict=True))
    assert split_tracking(cell) == (numbers, [])


any_cell = st.one_of(
    st.none(),
    st.booleans(),
    st.text(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(),
    st.dates(),
    st.times(),
    st.timedeltas(),
    st.decimals(),
)


@given(any_cell)
def test_no_cell_crashes_the_cleaner(cell: object) -> None:
    for function in (clean_id, split_tracking, parse_money, parse_time):
        result = function(cell)
        assert isinstance(result, tuple) and len(result) == 2
    assert isinstance(plain_text(cell), str)
    if isinstance(cell, str):
        assert isinstance(unprotect(cell), str)


def test_times_of_day_and_durations_are_not_times() -> None:
    assert parse_time(time(9, 30))[0] is None
    assert parse_time(timedelta(hours=3))[0] is None
