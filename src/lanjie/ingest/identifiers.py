"""The one rule between a cell and a tracking number or ID: exact, or not used.

A number lanjie puts in a courier message must be exactly the number the platform shipped.
These are the only transformations allowed between what a cell holds and that number:

1. surrounding whitespace and invisible characters (tab, space, zero-width, BOM …) go;
2. the export's protections against Excel go: a leading `'`, a `="…"` or `"…"` wrapper;
3. full-width ASCII (`ＹＴ８９６…`) becomes ASCII, and letters become upper-case;
4. one cell is split into several numbers only on real separators (`,` `;` `/` `、` and line
   breaks, full-width forms included), never on a space inside a number;
5. a number that Excel stored as a float is restored only when no digit can have been lost:
   at most 15 digits, no tell-tale run of zeros at the end, and (for tracking numbers) the
   shape of a known courier's number, none of which starts with 0, so no leading zero can
   have been dropped either.

Everything else is refused with a reason a person understands: other characters (`③`, `³`,
`#`, Chinese), a space or an invisible character inside a number, scientific notation,
dates, booleans and formula results. IDs (售后单号, 订单号) must be digits, like the
platform's. The reasons are catalogue `Text`s (Chinese strings that can be said in English).
"""

from __future__ import annotations

import math
import re
from datetime import date, time, timedelta

from lanjie.couriers import pattern_candidates
from lanjie.i18n import Text

Cleaned = tuple[str | None, str | None]

MSG_SCIENTIFIC = Text("problem_scientific")
MSG_TOO_LONG_FLOAT = Text("problem_too_long_float")
MSG_ZEROS = Text("problem_zeros")
MSG_NOT_INTEGER = Text("problem_not_integer")
MSG_FLOAT_UNPROVEN = Text("problem_float_unproven")
MSG_BAD_TRACKING = Text("problem_bad_tracking")
MSG_NOT_TRACKING = Text("problem_not_tracking")
MSG_SPACE_INSIDE = Text("problem_space_inside")
MSG_INVISIBLE_INSIDE = Text("problem_invisible_inside")
MSG_FORMULA = Text("problem_formula")
MSG_BAD_ID = Text("problem_bad_id")

_NOT_TEXT: tuple[tuple[type, Text], ...] = (  # a cell that holds one of these is not a number
    (bool, Text("problem_not_text", kind=Text("kind_bool"))),
    (date, Text("problem_not_text", kind=Text("kind_date"))),  # datetime is a date too
    (time, Text("problem_not_text", kind=Text("kind_time"))),
    (timedelta, Text("problem_not_text", kind=Text("kind_duration"))),
)

# Whitespace and characters that show nothing; allowed around a number, never inside it.
_INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad\u202a\u202b\u202c\u202d\u202e"
_SURROUNDING = " \t\r\n\v\f\u00a0\u3000" + _INVISIBLE
# Width folding: the full-width forms of ASCII (U+FF01–U+FF5E) and the ideographic space.
_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_SEPARATORS = re.compile(r"[,;/、\n\r]+")
_PLACEHOLDERS = frozenset({"-", "--", "---", "—", "——", "无", "暂无", "空", "NULL", "NONE", "NAN", "0"})
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d*)?E[+-]?\d+")
_FLOAT_TEXT = re.compile(r"(\d+)\.0+")
_TRACKING_LENGTH = (6, 40)  # characters before any -suffix
_ID_DIGITS = 30  # the longest ID
_TRACKING = re.compile(  # at least 5 digits
    rf"(?=(?:[A-Z-]*[0-9]){{5}})[A-Z0-9]{{{_TRACKING_LENGTH[0]},{_TRACKING_LENGTH[1]}}}(?:-[A-Z0-9]{{1,10}}){{0,3}}"
)
_DIGITS = re.compile(rf"[0-9]{{1,{_ID_DIGITS}}}")
_ALNUM_DASH = re.compile(r"[A-Z0-9-]+")
_QUOTED = re.compile(r'=?"([^"]*)"')  # ="…" or "…" around one number among several
_MAX_EXACT_DIGITS = 15
_SUSPICIOUS_ZEROS = 5


def fold(text: str) -> str:
    """Allowed transformations 1 and 3: no surroundings, ASCII width, upper-case."""
    if not text.isascii():
        text = text.translate(_FOLD)
    return text.strip(_SURROUNDING).upper()


def unprotect(text: str) -> str:
    """Allowed transformation 2 (after 1 and 3): no `'`, `="…"` or `"…"` around the number."""
    text = fold(text)
    while text[:1] in ("'", "=", '"'):
        before = text
        if text.startswith("'"):
            text = text[1:]
        elif text.startswith('="') and text.endswith('"') and len(text) >= 3:
            text = text[2:-1]
        elif len(text) >= 2 and text[0] == '"' and text[-1] == '"':
            text = text[1:-1]
        text = text.strip(_SURROUNDING)
        if text == before:
            break
    return text


def not_text_problem(value: object) -> str | None:
    """Why a cell that is not text or a number cannot hold a number (a date, a bool …)."""
    for kind, problem in _NOT_TEXT:
        if isinstance(value, kind):
            return problem
    return None


def _digits_of_float(value: float) -> Cleaned:
    if not math.isfinite(value) or not value.is_integer() or value < 0:
        return None, MSG_NOT_INTEGER
    digits = str(int(value))
    if len(digits) > _MAX_EXACT_DIGITS:
        return None, MSG_TOO_LONG_FLOAT
    if len(digits) - len(digits.rstrip("0")) >= _SUSPICIOUS_ZEROS:
        return None, MSG_ZEROS
    return digits, None


def _from_float_text(digits: str) -> Cleaned:
    """`736105555828.0`: the printed form of a float, whose leading zeros are already gone."""
    if digits.startswith("0"):
        return None, MSG_FLOAT_UNPROVEN  # no float prints a leading zero: the text was edited
    if len(digits) > _MAX_EXACT_DIGITS:
        return None, MSG_TOO_LONG_FLOAT
    return _digits_of_float(float(digits))


def _known_shape(number: str) -> Cleaned:
    return (number, None) if pattern_candidates(number)[0] else (None, MSG_FLOAT_UNPROVEN)


def _tracking_token(token: str) -> Cleaned:
    """One number already split from its cell and folded: the number, or why not."""
    if _TRACKING.fullmatch(token):
        return token, None
    if _SCIENTIFIC.fullmatch(token):
        return None, MSG_SCIENTIFIC
    float_text = _FLOAT_TEXT.fullmatch(token)
    if float_text:
        number, problem = _from_float_text(float_text.group(1))
        return _known_shape(number) if number else (None, problem)
    if any(c in token for c in _INVISIBLE):
        return None, MSG_INVISIBLE_INSIDE
    if " " in token or "\t" in token:
        return None, MSG_SPACE_INSIDE if _TRACKING.fullmatch(re.sub(r"\s+", "", token)) else MSG_BAD_TRACKING
    return None, MSG_NOT_TRACKING if _ALNUM_DASH.fullmatch(token) else MSG_BAD_TRACKING


def plain_tracking(value: object) -> str | None:
    """`split_tracking`'s usual case and nothing else: a text cell that is one plain number,
    upper-case already, with only allowed surroundings (the export's protecting tab). None
    when the cell needs the whole rule."""
    if type(value) is str:
        bare = value.strip(_SURROUNDING)  # not strip(): it also drops U+001F, U+2003 …, which the rule refuses
        if bare.isascii() and bare.isalnum():
            if bare.isdigit():  # of digits, _TRACKING only asks a length: checked without the regex
                return bare if _TRACKING_LENGTH[0] <= len(bare) <= _TRACKING_LENGTH[1] else None
            if _TRACKING.fullmatch(bare):
                return bare
    return None


def plain_id(value: object) -> str | None:
    """`clean_id`'s usual case and nothing else: a text cell of ASCII digits with only
    allowed surroundings (the export's protecting tab). None when the cell needs the whole rule."""
    if type(value) is str:
        bare = value.strip(_SURROUNDING)
        if bare.isascii() and bare.isdigit() and len(bare) <= _ID_DIGITS:
            return bare
    return None


def split_tracking(value: object) -> tuple[list[str], list[str]]:
    """All tracking numbers in one cell (split shipments), and why any part was refused."""
    if value is None or value == "":
        return [], []
    plain = plain_tracking(value)
    if plain is not None:
        return [plain], []  # the usual case
    if type(value) is not str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number, problem = _digits_of_float(float(value)) if isinstance(value, float) else (str(value), None)
            if number is not None and isinstance(value, int) and len(number) > _MAX_EXACT_DIGITS:
                number, problem = None, MSG_TOO_LONG_FLOAT
            if number is not None:
                number, problem = _known_shape(number)
            return ([number] if number else []), ([problem] if problem else [])
        return [], [not_text_problem(value) or MSG_BAD_TRACKING]
    numbers: list[str] = []
    problems: list[str] = []
    text = fold(value)
    if '"' in text:
        text = _QUOTED.sub(lambda quoted: quoted.group(1).strip(_SURROUNDING), text)
    for piece in _SEPARATORS.split(text):
        token = unprotect(piece)
        if not token or token in _PLACEHOLDERS:
            continue
        number, problem = _tracking_token(token)
        if problem:
            problems.append(problem)
        elif number is not None and number not in numbers:
            numbers.append(number)
    return numbers, problems


def clean_id(value: object) -> Cleaned:
    """An ID (售后单号, 订单号 …) as the exact digits, or None and why."""
    plain = plain_id(value)
    if plain is not None:
        return plain, None
    if type(value) is str:
        text = unprotect(value)
        if not text:
            return None, None
        if _DIGITS.fullmatch(text):
            return text, None
        if _SCIENTIFIC.fullmatch(text):
            return None, MSG_SCIENTIFIC
        float_text = _FLOAT_TEXT.fullmatch(text)
        if float_text:
            return _from_float_text(float_text.group(1))
        if " " in text and _DIGITS.fullmatch(text.replace(" ", "")):
            return None, MSG_SPACE_INSIDE
        return None, MSG_BAD_ID
    if value is None:
        return None, None
    if isinstance(value, float):
        return _digits_of_float(value)
    if isinstance(value, int) and not isinstance(value, bool):
        digits = str(value)
        return (digits, None) if value >= 0 and len(digits) <= _MAX_EXACT_DIGITS else (None, MSG_TOO_LONG_FLOAT)
    return None, not_text_problem(value) or MSG_BAD_ID


def is_platform_id(text: str | None) -> bool:
    """Whether an ID kept in a record is usable (rows with an unusable ID are kept for a person)."""
    return text is not None and _DIGITS.fullmatch(text) is not None
