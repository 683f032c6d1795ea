"""Turn raw cells into exact values: IDs, tracking numbers, money, times.

Every function here takes any cell value (str, float, int, datetime, None …) and never
raises: what cannot be read comes back as None together with a message in Chinese saying
what is wrong and how to fix it. Nothing is guessed: a number that lost digits is refused.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

# Beijing time. China has kept UTC+8 without daylight saving since 1991, so a fixed offset
# is exact for every export and much cheaper than a tz database lookup per timestamp.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

Cell = object
Cleaned = tuple[str | None, str | None]

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d*)?E[+-]?\d+")
_FLOAT_TEXT = re.compile(r"(\d+)\.0+")
_TRACKING = re.compile(r"[A-Z0-9][A-Z0-9-]{3,39}")
_SEPARATORS = re.compile(r"[,;、/|\s]+")
_QUOTED = re.compile(r'=?"([^"]*)"')  # ="…" or "…" around one of several numbers
_PLACEHOLDERS = frozenset({"-", "--", "---", "—", "——", "无", "暂无", "空", "NULL", "NONE", "NAN", "0"})
_SUSPICIOUS_ZEROS = 5
_MAX_EXACT_DIGITS = 15

MSG_SCIENTIFIC = "单号被 Excel 改成了科学计数法，请从抖店重新导出，不要用 Excel 打开后保存"
MSG_TOO_LONG_FLOAT = "单号超过 15 位，被 Excel 当成数字后丢了末尾的数字，请从抖店重新导出，不要用 Excel 打开后保存"
MSG_ZEROS = "单号末尾是一串 0，像是被 Excel 改成科学计数法后丢了数字，请核对原单号"
MSG_NOT_INTEGER = "单号是带小数的数字，不是有效单号，请核对"
MSG_BAD_TRACKING = "单号里有不该出现的字符，只能是字母和数字，请核对"
MSG_BAD_MONEY = "金额看不懂，应为数字，如 89.50"


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


def _normalise(text: str) -> str:
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return text.strip()


def unprotect(text: str) -> str:
    """Undo what exports do to keep Excel away from IDs: tab, leading ', ="…", quotes."""
    text = _normalise(text)
    if not text or text[0] not in "'=\"":
        return text
    while True:
        before = text
        if text.startswith("'"):
            text = text[1:].strip()
        if text.startswith('="') and text.endswith('"') and len(text) >= 3:
            text = text[2:-1].strip()
        elif len(text) >= 2 and text[0] == '"' and text[-1] == '"':
            text = text[1:-1].strip()
        if text == before:
            return text


def _digits_from_float(value: float) -> Cleaned:
    if not math.isfinite(value) or not value.is_integer() or value < 0:
        return None, MSG_NOT_INTEGER
    digits = str(int(value))
    if len(digits) > _MAX_EXACT_DIGITS:
        return None, MSG_TOO_LONG_FLOAT
    if len(digits) - len(digits.rstrip("0")) >= _SUSPICIOUS_ZEROS:
        return None, MSG_ZEROS
    return digits, None


def _clean_token(token: str) -> Cleaned:
    """One ID/number already split from its cell: exact, upper-case, or refused."""
    token = token.upper()
    if _SCIENTIFIC.fullmatch(token):
        return None, MSG_SCIENTIFIC
    float_text = _FLOAT_TEXT.fullmatch(token)
    if float_text:
        return _digits_from_float(float(float_text.group(1)))
    return token, None


def clean_id(value: Cell) -> Cleaned:
    """An ID (售后单号, 订单号 …) as the exact string, or None and why."""
    if type(value) is str:
        text = value.strip()
        if text.isascii() and text.isalnum():  # nearly every real ID, its tab stripped
            return text.upper(), None
    if value is None or isinstance(value, bool):
        return None, None
    if isinstance(value, int):
        return (str(value), None) if len(str(value)) <= _MAX_EXACT_DIGITS else (None, MSG_TOO_LONG_FLOAT)
    if isinstance(value, float):
        return _digits_from_float(value)
    text = unprotect(str(value))
    if not text:
        return None, None
    if text.isascii() and text.isalnum():
        return text.upper(), None
    return _clean_token(text)


def split_tracking(value: Cell) -> tuple[list[str], list[str]]:
    """All tracking numbers in one cell (split shipments), and what was wrong."""
    if value is None or isinstance(value, bool):
        return [], []
    if isinstance(value, (int, float)):
        number, problem = clean_id(value)
        return ([number] if number else []), ([problem] if problem else [])
    text = _normalise(str(value))
    single = text if text.isascii() and text.isalnum() else unprotect(text)
    if single.isascii() and single.isalnum():  # the usual case: one plain number
        token = single.upper()
        if token in _PLACEHOLDERS:
            return [], []
        # Letters and digits only: _TRACKING reduces to its length limits.
        return ([token], []) if 4 <= len(token) <= 40 else ([], [MSG_BAD_TRACKING])
    numbers: list[str] = []
    problems: list[str] = []
    for piece in _SEPARATORS.split(_QUOTED.sub(r"\1", text)):
        token = unprotect(piece).upper()
        if not token or token in _PLACEHOLDERS:
            continue
        number, problem = _clean_token(token)
        if problem:
            problems.append(problem)
        elif number is not None and not _TRACKING.fullmatch(number):
            problems.append(MSG_BAD_TRACKING)
        elif number is not None and number not in numbers:
            numbers.append(number)
    return numbers, problems


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
MSG_BAD_TIME = "时间看不懂，应为 2026-11-26 09:30:00 这样的格式"


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
            # Parsing the offset is several times faster than attaching a tzinfo afterwards.
            return datetime.fromisoformat(value + "+08:00"), None
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
