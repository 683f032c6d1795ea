"""The exact scan of a worksheet, tag by tag, for XML the fast scan does not model."""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator

from lanjie.ingest.limits.common import MAX_CELL_CHARS, MAX_RUN, MAX_TAG, _Extent, _Refusal
from lanjie.ingest.limits.fast_sheet import _check_runs, _ref
from lanjie.ingest.limits.shared_strings import _Strings
from lanjie.ingest.limits.zipped import _lookahead

_TAG = re.compile(rb"<(/?)(?:[A-Za-z_][\w.\-]*:)?(row|c|f|v)(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*+)>")
_TAG_START = re.compile(rb"<(?:/?)(?:[A-Za-z_][\w.\-]*:)?(?:row|c|f|v)(?=[\s/>])")
_R_ATTR = re.compile(rb"(?:^|\s)r\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_T_ATTR = re.compile(rb"(?:^|\s)t\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_PLAIN_REF = re.compile(rb"([A-Za-z]*)([0-9]+)")
_EXACT_MAX = 512 << 20


def _exact_sheet(chunks: Iterator[bytes], strings: _Strings) -> tuple[_Extent, int]:
    """The scan of any worksheet XML, tag by tag, positioning cells exactly as calamine does
    (a cell without `r` follows the previous one; a row without `r` follows the previous
    row). Slow (Python per tag), so only for sheets the fast scan cannot model, up to 512 MB."""
    extent = _Extent()
    row_index, column_index = 0, 0  # 0-based, like the reader's counters
    current: tuple[int, int] | None = None
    shared = False
    sizes = strings.sizes if strings.exact else array("I")
    size = 0
    tail = b""
    for chunk, last in _lookahead(chunks):
        size += len(chunk)
        if size > _EXACT_MAX:
            raise _Refusal("file_structure", detail=f"unusual worksheet XML over {_EXACT_MAX >> 20} MB")
        buf = tail + chunk if tail else chunk
        cut = len(buf) if last else buf.rfind(b"<", 0, max(len(buf) - MAX_TAG, 0))
        if cut <= 0:
            if len(buf) > MAX_RUN + MAX_TAG:
                raise _Refusal("cell_too_long", chars=f">{MAX_CELL_CHARS}", limit=MAX_CELL_CHARS)
            tail = buf
            continue
        _check_runs(buf, cut)
        matched = 0
        for tag in _TAG.finditer(buf):
            if tag.start() >= cut:
                break
            matched += 1
            closing, name, attrs = tag[1], tag[2], tag[3]
            empty = attrs.endswith(b"/")
            if name == b"row":
                if closing:
                    row_index, column_index = row_index + 1, 0
                    continue
                found = _R_ATTR.search(attrs)
                digits = _PLAIN_REF.fullmatch((found[1] or found[2] or b"") if found else b"")
                if digits:
                    row_index = _ref(b"A", digits[2])[0] - 1
                if empty:
                    row_index, column_index = row_index + 1, 0
            elif name == b"c":
                if closing:
                    current = None
                    continue
                found = _R_ATTR.search(attrs)
                parsed = _PLAIN_REF.fullmatch((found[1] or found[2] or b"") if found else b"")
                if parsed and parsed[1]:
                    row, column = _ref(parsed[1], parsed[2])
                    column_index = column
                else:
                    row, column = row_index + 1, column_index
                extent.cells += 1
                extent.add(row, column)
                column_index += 1
                current = None if empty else (row, column)
                kind = _T_ATTR.search(attrs)
                shared = kind is not None and (kind[1] or kind[2]) == b"s"
                extent.shared_cells += shared
            elif name == b"f" and not closing and current is not None:
                extent.formulas.add(current)
            elif name == b"v" and not closing and shared and current is not None:
                shared = False
                stop = buf.find(b"<", tag.end())
                value = buf[tag.end() : stop].strip()
                if value.isdigit() and int(value) < len(sizes):
                    extent.shared_text += sizes[int(value)]
                else:
                    extent.shared_unknown += 1
        if matched != len(_TAG_START.findall(buf, 0, cut)):
            raise _Refusal("file_structure", detail="a worksheet tag that cannot be read")
        tail = buf[cut:]
    return extent, size
