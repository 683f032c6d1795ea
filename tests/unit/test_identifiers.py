"""The number rule: a tracking number or ID is exactly what the platform shipped, or not used."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from unittest import mock

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from lanjie.ingest import identifiers
from lanjie.ingest.identifiers import (
    MSG_BAD_ID,
    MSG_BAD_TRACKING,
    MSG_FLOAT_UNPROVEN,
    MSG_INVISIBLE_INSIDE,
    MSG_NOT_INTEGER,
    MSG_NOT_TRACKING,
    MSG_SCIENTIFIC,
    MSG_SPACE_INSIDE,
    MSG_TOO_LONG_FLOAT,
    MSG_ZEROS,
    clean_id,
    is_platform_id,
    plain_id,
    plain_tracking,
    split_tracking,
)

# --- IDs --------------------------------------------------------------------------------


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
        "＝＂6928123456789012345＂",
    ],
)
def test_id_protections_are_undone(cell: str) -> None:
    assert clean_id(cell) == ("6928123456789012345", None)


@pytest.mark.parametrize(
    "cell", ["=1+1", "@SUM(1)", "JAVASCRIPT:ALERT(4)", "javascript:alert(4)", "6928①23", "69281²3", "ABC123", "-1"]
)
def test_ids_must_be_digits_like_the_platforms(cell: str) -> None:
    assert clean_id(cell) == (None, MSG_BAD_ID)
    assert not is_platform_id(cell)


def test_id_with_a_space_inside_is_refused_not_joined() -> None:
    assert clean_id("6928123 456789012345") == (None, MSG_SPACE_INSIDE)


@pytest.mark.parametrize(
    ("cell", "kind"),
    [(date(2026, 11, 26), "日期"), (datetime(2026, 11, 26, 9, 30), "日期"), (True, "是/否"), (time(9, 30), "时间")],
)
def test_cells_that_are_not_text_or_numbers_are_refused(cell: object, kind: str) -> None:
    number, problem = clean_id(cell)
    assert number is None and problem and kind in problem
    numbers, problems = split_tracking(cell)
    assert numbers == [] and len(problems) == 1 and kind in problems[0]


def test_integral_float_id_with_at_most_15_digits_is_restored_exactly() -> None:
    assert clean_id(773012345678901.0) == ("773012345678901", None)
    assert clean_id(73610555582883.0) == ("73610555582883", None)


def test_float_that_lost_digits_is_refused_never_used() -> None:
    assert clean_id(6.928123456789012e18) == (None, MSG_TOO_LONG_FLOAT)
    assert clean_id(1234567890123456.0) == (None, MSG_TOO_LONG_FLOAT)
    assert clean_id(773012000000000.0) == (None, MSG_ZEROS)  # 7.73012E+14 typed back into a cell
    assert clean_id(7730.5) == (None, MSG_NOT_INTEGER)
    assert clean_id(math.inf) == (None, MSG_NOT_INTEGER)
    assert clean_id(6928123456789012345) == (None, MSG_TOO_LONG_FLOAT)


@pytest.mark.parametrize("cell", ["7.73012E+14", "7.73012e+14", "6.92812E+18", "７.７３０１２Ｅ＋１４", "1E+14"])
def test_scientific_notation_text_is_refused(cell: str) -> None:
    assert clean_id(cell) == (None, MSG_SCIENTIFIC)
    assert split_tracking(cell) == ([], [MSG_SCIENTIFIC])


def test_float_written_as_text() -> None:
    assert clean_id("773012345678901.0") == ("773012345678901", None)
    assert clean_id("6928123456789012345.0") == (None, MSG_TOO_LONG_FLOAT)
    # A float never prints a leading zero: the text was edited, the zero may or may not be real.
    assert clean_id("0736105555828.0") == (None, MSG_FLOAT_UNPROVEN)


def test_empty_ids() -> None:
    assert clean_id(None) == (None, None)
    assert clean_id("") == (None, None)
    assert clean_id("\t") == (None, None)
    assert clean_id('=""') == (None, None)


# --- tracking numbers -------------------------------------------------------------------


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
        ("YT8962646785389\r\nJT5261988016578", ["YT8962646785389", "JT5261988016578"]),
        ("YT8962646785389 , JT5261988016578", ["YT8962646785389", "JT5261988016578"]),
        ("YT8962646785389,YT8962646785389", ["YT8962646785389"]),
        ('="YT8962646785389"', ["YT8962646785389"]),
        ("\tYT8962646785389, \t'JT5261988016578", ["YT8962646785389", "JT5261988016578"]),
        ("ＹＴ８９６２６４６７８５３８９", ["YT8962646785389"]),
        ("JDVA00012345678-1-1", ["JDVA00012345678-1-1"]),
        ("0736105555828", ["0736105555828"]),  # text keeps its leading zero exactly
        ("", []),
        ("-", []),
        ("无", []),
        ("暂无", []),
        ("null", []),
        (None, []),
    ],
)
def test_split_tracking(cell: object, expected: list[str]) -> None:
    assert split_tracking(cell) == (expected, [])


@pytest.mark.parametrize("cell", ["JT0138 411283577", "YT 4032699102374", "YT8962646785389  JT5261988016578"])
def test_a_space_inside_a_cell_never_splits_or_joins_numbers(cell: str) -> None:
    assert split_tracking(cell) == ([], [MSG_SPACE_INSIDE])


def test_invisible_character_inside_a_number_is_refused() -> None:
    assert split_tracking("7361055\u200b5582883") == ([], [MSG_INVISIBLE_INSIDE])


@pytest.mark.parametrize(
    "cell", ["7361055558288③", "7361055558288³", "736105555828٣", "𝟕𝟑𝟔𝟏𝟎𝟓𝟓𝟓𝟓𝟖𝟐𝟖𝟖𝟑", "中通73610555582883"]
)
def test_digits_that_are_not_ascii_are_never_folded(cell: str) -> None:
    assert split_tracking(cell) == ([], [MSG_BAD_TRACKING])


@pytest.mark.parametrize("cell", ["=1+1", "@SUM(1)", "JAVASCRIPT:ALERT(4)", '=HYPERLINK("x")'])
def test_formula_text_is_not_a_number(cell: str) -> None:
    numbers, problems = split_tracking(cell)
    assert numbers == [] and problems


@pytest.mark.parametrize("cell", ["2", "2026-11-26", "ABCDEFGH", "12345"])
def test_short_or_letter_only_tokens_are_not_tracking_numbers(cell: str) -> None:
    numbers, problems = split_tracking(cell)
    assert numbers == [] and problems == [MSG_NOT_TRACKING]


def test_floats_are_restored_only_when_no_digit_can_be_lost() -> None:
    assert split_tracking(73610555582883.0) == (["73610555582883"], [])  # 中通's 14 digits, never a leading 0
    assert split_tracking(773012345678901.0) == (["773012345678901"], [])
    assert split_tracking("73610555582883.0") == (["73610555582883"], [])
    assert split_tracking(123456.0) == ([], [MSG_FLOAT_UNPROVEN])  # no courier's shape: a 0 may be gone
    assert split_tracking(2.0) == ([], [MSG_FLOAT_UNPROVEN])  # e.g. the cached result of =1+1
    assert split_tracking("0736105555828.0") == ([], [MSG_FLOAT_UNPROVEN])
    assert split_tracking("0256885257273993.0") == ([], [MSG_FLOAT_UNPROVEN])
    assert split_tracking(1234567890123456.0) == ([], [MSG_TOO_LONG_FLOAT])


def test_one_bad_part_does_not_hide_the_good_ones() -> None:
    numbers, problems = split_tracking("YT8962646785389,单号#12")
    assert numbers == ["YT8962646785389"]
    assert problems == [MSG_BAD_TRACKING]


# --- properties -------------------------------------------------------------------------

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_FULL = str.maketrans(_ALNUM, "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ")
tracking_numbers = st.one_of(
    st.from_regex(r"[1-9][0-9]{7,19}", fullmatch=True),
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
    if number.isdigit():
        assert clean_id(cell) == (number, None)


@given(st.lists(tracking_numbers, min_size=1, max_size=4, unique=True), st.data())
def test_split_cells_keep_every_number(numbers: list[str], data: st.DataObject) -> None:
    separators = [data.draw(st.sampled_from([",", "，", ";", "；", "、", "/", "\n", " , ", "\r\n"])) for _ in numbers]
    cell = "".join(sep + data.draw(wrapped(n)) for sep, n in zip(separators, numbers, strict=True))
    assert split_tracking(cell) == (numbers, [])


# An oracle written from the rule, not from the code: the tokens a person would accept as
# "the same number" after the allowed transformations, and nothing else.
_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_AROUND = " \t\r\n\v\f\u00a0\u3000\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad\u202a\u202b\u202c\u202d\u202e"


def _allowed_tokens(cell: str) -> set[str]:
    text = re.sub(r'=?"([^"]*)"', lambda m: m.group(1).strip(_AROUND), cell.translate(_WIDTH).upper())
    tokens: set[str] = set()
    for piece in re.split(r"[,;/、\n\r]", text):
        for _ in range(6):  # protections may be nested: '="…"
            piece = piece.strip(_AROUND)
            if piece.startswith("'"):
                piece = piece[1:]
            elif piece.startswith('="') and piece.endswith('"') and len(piece) >= 3:
                piece = piece[2:-1]
            elif len(piece) >= 2 and piece[0] == piece[-1] == '"':
                piece = piece[1:-1]
        tokens.add(piece)
        float_text = re.fullmatch(r"([1-9][0-9]*)\.0+", piece)
        if float_text:
            tokens.add(float_text.group(1))
    return tokens


noise = st.sampled_from(
    [
        " ",
        "\u3000",
        "\t",
        "\u200b",
        "③",
        "³",
        "٣",
        "𝟑",
        "#",
        "中",
        "=",
        "@",
        ".",
        "-",
        "E+",
        ".0",
        "'",
        '"',
        ",",
        "\n",
        "、",
    ]
)


@st.composite
def damaged(draw: st.DrawFn) -> str:
    """A plausible cell with damage anywhere: noise inserted inside and around numbers."""
    parts = draw(st.lists(st.one_of(tracking_numbers, noise, st.text(max_size=3)), min_size=1, max_size=6))
    text = "".join(parts)
    if draw(st.booleans()):
        text = draw(wrapped(text))
    return text


@given(damaged())
@example("JT0138 411283577")
@example("YT 4032699102374")
@example("0736105555828.0")
@example("7361055558288③")
@example("７３６１０５５５５８２８８３")
def test_an_accepted_number_is_a_whole_token_of_the_cell(cell: str) -> None:
    numbers, _ = split_tracking(cell)
    allowed = _allowed_tokens(cell)
    for number in numbers:
        assert number in allowed, (cell, number, allowed)
        assert number.isascii() and re.fullmatch(r"[A-Z0-9-]+", number)


@given(damaged())
def test_an_accepted_id_is_the_whole_cell_in_digits(cell: str) -> None:
    value, _ = clean_id(cell)
    if value is not None:
        assert value.isascii() and value.isdigit()
        assert value in _allowed_tokens(cell)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_float_never_becomes_a_number_with_lost_digits(value: float) -> None:
    numbers, _ = split_tracking(value)
    for number in numbers:
        assert float(number) == value and len(number) <= 15 and not number.startswith("0")


def test_nothing_but_text_numbers_and_blanks_reach_the_rule() -> None:
    assert split_tracking(timedelta(hours=1))[0] == []
    assert clean_id(timedelta(hours=1))[0] is None


# --- the fast paths ---------------------------------------------------------------------
# plain_id and plain_tracking answer the usual cell (digits, maybe behind the export's tab)
# before the whole rule runs; wherever they answer, the whole rule must answer the same.

R = TypeVar("R")


def whole_rule(rule: Callable[[object], R], cell: object) -> R:
    """`rule(cell)` with its fast path switched off."""
    with (
        mock.patch.object(identifiers, "plain_id", lambda _: None),
        mock.patch.object(identifiers, "plain_tracking", lambda _: None),
    ):
        return rule(cell)


# What export cells hold, and spaces that str.strip() would drop but the rule refuses (U+001F, U+2003).
_CELL_CHARS = "0123456789０１２３٣³𝟑ATYJSFDPKXytjsf'\"=.,/、;-E+#中③ \t\r\n\u3000\u00a0\u200b\ufeff\x1f\u2003"
cells = st.one_of(
    st.text(alphabet=_CELL_CHARS, max_size=24),
    st.from_regex(r"\s{0,2}[0-9A-Z]{1,32}\s{0,2}", fullmatch=True),
    tracking_numbers.flatmap(wrapped),
    damaged(),
    st.floats(),
    st.integers(),
    st.booleans(),
    st.none(),
    st.datetimes(),
)


@given(cells)
@example("\t7300000000000000001")
@example("7300000000000000001③")
@example("７３００００００００００００００１")
@example("73000000000000000010000000000000")  # 32 digits: too long for an ID, too for a tracking number
@example("12345")  # digits too few for a tracking number
@example("yt8962646785389")
@example("\x1f10000000")
@example("\u20037300000000000000001")
@example(7.3e18)
@example(73610555582883.0)
@example(True)
def test_the_fast_paths_answer_only_as_the_whole_rule_does(cell: object) -> None:
    digits = plain_id(cell)
    if digits is not None:
        assert whole_rule(clean_id, cell) == (digits, None)
    number = plain_tracking(cell)
    if number is not None:
        assert whole_rule(split_tracking, cell) == ([number], [])


@pytest.mark.parametrize(
    "cell",
    [
        "７３６１０５５５５８２８８３",  # full-width digits: the rule folds them, the fast paths do not
        "7361055558288③",
        "7361055558288³",
        "٣٦١٠٥٥٥٥٨٢٨٨٣",
        "73610 555582883",
        "\x1f73610555582883",  # a control character, not one of the allowed surroundings
        "\u200373610555582883",
        "'73610555582883",
        '="73610555582883"',
        "73610555582883.0",
        "yt8962646785389",
        "YT896264-6785389",
        73610555582883.0,
        73610555582883,
        True,
        None,
        datetime(2026, 11, 26),
    ],
)
def test_the_fast_paths_leave_every_other_cell_to_the_whole_rule(cell: object) -> None:
    assert plain_id(cell) is None and plain_tracking(cell) is None
