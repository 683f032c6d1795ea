"""Turn raw cells into values: money, times, display text (IDs and numbers: identifiers.py).

Every function here takes any cell value (str, float, int, datetime, None …) and never
raises: what cannot be read comes back as None together with a message saying what is wrong
and how to fix it (a catalogue `Text`: Chinese as a string, English with `render("en")`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from lanjie.i18n import Text
from lanjie.model import SHANGHAI

Cell = object

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)

MSG_BAD_MONEY = Text("problem_bad_money")


def plain_text(value: Cell) -> str:
    """Any cell as trimmed text; integral floats lose their `.0`."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value).strip()


def raw_text(value: Cell) -> str:
    """A cell as the reader gave it, for problem reports: floats keep their `.0`."""
    return repr(value) if isinstance(value, float) else plain_text(value)


def _normalise(text: str) -> str:
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return text.strip()


_NO_AMOUNT = frozenset({"", "-", "--", "—"})
_MONEY_NOISE = re.compile(r"[¥￥元,\s]|RMB|CNY", re.IGNORECASE)


def _decimal(text: str) -> Decimal | None:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def parse_money(value: Cell) -> tuple[Decimal | None, str | None]:
    """`159`, `¥89.50`, `89.50元`, `-` → Decimal or None."""
    if value is None or isinstance(value, bool):
        return None, None
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return None, MSG_BAD_MONEY
        return Decimal(repr(value) if isinstance(value, float) else value), None
    text = str(value).strip()
    if text in _NO_AMOUNT:
        return None, None
    if text.isascii() and (amount := _decimal(text)) is not None:
        return amount, None
    text = _MONEY_NOISE.sub("", _normalise(text))
    if text in _NO_AMOUNT:
        return None, None
    amount = _decimal(text)
    return (amount, None) if amount is not None else (None, MSG_BAD_MONEY)


_EXCEL_EPOCH = datetime(1899, 12, 30)
_LOOSE_TIME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.\d+)?)?)?")
MSG_BAD_TIME = Text("problem_bad_time")


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(SHANGHAI)


def _from_serial(serial: float) -> datetime | None:
    if not (1 < serial < 2958466):
        return None
    moment = _EXCEL_EPOCH + timedelta(days=serial)
    return _aware(moment.replace(microsecond=0) + timedelta(seconds=round(moment.microsecond / 1e6)))


def parse_time(value: Cell) -> tuple[datetime | None, str | None]:
    """Export times (Beijing time, no zone written) and Excel serials → aware datetimes."""
    if type(value) is str and len(value) == 19:  # the export's own 2026-11-26 09:30:00
        try:
            # Parsing the offset is several times faster than attaching a tzinfo afterwards; the
            # same time with SHANGHAI itself as its tzinfo, because times that share one tzinfo
            # object compare and subtract several times faster (triage does both for each).
            written = datetime.fromisoformat(value + "+08:00")
            return datetime.combine(written, written.time(), SHANGHAI), None
        except ValueError:
            pass
    if value is None or isinstance(value, bool):
        return None, None
    if isinstance(value, datetime):
        return _aware(value), None
    if isinstance(value, date):
        return _aware(datetime(value.year, value.month, value.day)), None
    if isinstance(value, (int, float)):
        moment = _from_serial(float(value)) if math.isfinite(value) else None
        return (moment, None) if moment else (None, MSG_BAD_TIME)
    text = _normalise(str(value))
    if text in ("", "-", "--", "—"):
        return None, None
    text = text.replace("/", "-").replace("年", "-").replace("月", "-").replace("日", " ").strip()
    try:
        return _aware(datetime.fromisoformat(text)), None
    except ValueError:
        pass
    loose = _LOOSE_TIME.fullmatch(text)
    if loose:
        year, month, day, hour, minute, second = (int(p) if p else 0 for p in loose.groups())
        try:
            return _aware(datetime(year, month, day, hour, minute, second)), None
        except ValueError:
            return None, MSG_BAD_TIME
    try:
        moment = _from_serial(float(text))
    except ValueError:
        moment = None
    return (moment, None) if moment else (None, MSG_BAD_TIME)
