from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanjie.ingest.clean import parse_money, parse_time, plain_text, raw_text
from lanjie.ingest.identifiers import clean_id, split_tracking, unprotect
from lanjie.model import SHANGHAI


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


def test_export_times_share_one_tzinfo_and_other_offsets_keep_their_instant() -> None:
    """The export's own format comes back with SHANGHAI itself as its tzinfo (triage compares
    and subtracts a hundred thousand of them); a cell as long with its own offset keeps its instant."""
    moment, _ = parse_time("2026-11-26 09:30:00")
    assert moment is not None and moment.tzinfo is SHANGHAI
    assert moment == datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)
    assert parse_time("2026-11-26T01:30+00") == (datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI), None)
    assert parse_time("2026-11-26 09:30:0x")[1]


def test_dates_and_bad_times() -> None:
    assert parse_time(date(2026, 11, 26)) == (datetime(2026, 11, 26, tzinfo=SHANGHAI), None)
    assert parse_time("") == (None, None)
    assert parse_time("-") == (None, None)
    moment, problem = parse_time("明天下午")
    assert moment is None and problem
    assert parse_time("2026-13-45 10:00")[1]


def test_plain_text() -> None:
    assert raw_text(736105555828.0) == "736105555828.0"  # problems show the cell as it was
    assert plain_text(None) == ""
    assert plain_text(" 买家已签收 ") == "买家已签收"
    assert plain_text(159.0) == "159"
    assert plain_text(1.5) == "1.5"


# --- properties -------------------------------------------------------------------------

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
