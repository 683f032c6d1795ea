"""The shared-string table of an .xlsx: each item's size, streamed; an item longer than a cell is refused."""

from __future__ import annotations

import html
import re
import zipfile
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

from lanjie.ingest.limits.common import _SECTION_ENDS, MAX_CELL_CHARS, MAX_RUN, STRINGS_MAX, _Refusal
from lanjie.ingest.limits.zipped import _CHUNK, _inflate


@dataclass
class _Strings:
    """The shared-string table: item sizes (an upper bound of each string's length in the
    reader, in bytes and in characters) and what the file declares."""

    sizes: array[int] = field(default_factory=lambda: array("I"))
    largest: int = 0
    exact: bool = True  # False: the item count may differ from the reader's string count
    total: int = 0
    declared: int | None = None


_SI = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?si(?=[\s/>])")
_NO_TEXT = re.compile(rb"<si>(?:[^<]++|<(?!t[\s>/]|/si>))*+</si>")  # an item without a text run
_SST_COUNT = re.compile(rb"\suniqueCount\s*=\s*[\"']\s*\+?(\d+)")


def _scan_strings(raw: Path, info: zipfile.ZipInfo, strings: _Strings) -> None:
    """Sizes of the shared strings, streamed: an item is everything from one `<si` to the next
    (an upper bound of its text in bytes and in characters: markup and entities only add).
    Items longer in bytes than a cell may be in characters have their characters counted."""
    sizes = strings.sizes
    tail = b""
    first = True
    for chunk in _as_read(_inflate(raw, info, STRINGS_MAX), strings):
        if first and chunk:  # the first bytes outside comments
            first = False
            match = _SST_COUNT.search(chunk, 0, 4096)
            strings.declared = int(match[1]) if match else None
        buf = tail + chunk if tail else chunk
        plain = b"<si " not in buf and b"<si/" not in buf and b":si" not in buf
        pieces = buf.split(b"<si>") if plain else _SI.split(buf)  # bytes.split is C all the way
        if len(pieces) == 1:  # still before the first item, or inside one long item
            tail = buf
            if len(tail) > MAX_RUN + _CHUNK:
                raise _Refusal("cell_too_long", chars=f">{MAX_CELL_CHARS}", limit=MAX_CELL_CHARS)
            continue
        items = pieces[1:-1]
        if strings.exact and (b"rPh" in buf or (_NO_TEXT.search(buf) if plain else not _one_string_each(items))):
            strings.exact = False  # a reader may skip such an item, shifting the indices after it
        _add_items(items, strings)
        tail = (b"<si>" if plain else b"<si") + pieces[-1]  # bytes.split drops the whole "<si>"
        if len(tail) > MAX_RUN:
            _check_item(tail)
    if tail.startswith(b"<si"):
        end = tail.rfind(b"</")
        item = tail[3 + tail.startswith(b"<si>") : end if end > 3 else len(tail)]
        if not _one_string_each([item]):
            strings.exact = False
        _add_items([item], strings)
    strings.largest = max(sizes, default=0)


_SECTION = re.compile(rb"<!--|<!\[CDATA\[|<\?")
_MARK = len(b"<![CDATA[") - 1  # a section's start cut by a chunk's end is at most this long


def _as_read(chunks: Iterator[bytes], strings: _Strings) -> Iterator[bytes]:
    """The table's bytes as the reader's parser sees its markup (counted in strings.total as
    they are): comments and processing instructions cut out (an item or text inside one is
    none), CDATA sections as escaped text (an upper bound of the text the reader may take from
    them). Tables without `<!` or `<?` pass through: memchr searches for `!` and `?` first."""
    tail = b""
    closing: bytes | None = None  # the end of the section the table is in
    cdata = False
    for chunk in chunks:
        strings.total += len(chunk)
        buf = tail + chunk if tail else chunk
        out: list[bytes] = []
        pos = 0
        plain = closing is None and not any(mark in buf and b"<" + mark in buf for mark in (b"!", b"?"))
        while True:
            if closing is not None:
                end = buf.find(closing, pos)
                keep = max(pos, len(buf) - len(closing) + 1) if end < 0 else end
                if cdata:
                    out.append(_escaped(buf[pos:keep]))
                if end < 0:
                    pos = keep
                    break
                pos, closing = end + len(closing), None
                continue
            hit = None if plain else _SECTION.search(buf, pos)
            if hit is None:  # keep what may be the start of a section cut by the chunk's end
                stop = buf.rfind(b"<", max(len(buf) - _MARK, pos))
                stop = len(buf) if stop < 0 else stop
                out.append(buf[pos:stop])
                pos = stop
                break
            out.append(buf[pos : hit.start()])
            closing, cdata = _SECTION_ENDS[hit[0]], hit[0] == b"<![CDATA["
            pos = hit.end()
        tail = buf[pos:]
        yield b"".join(out)
    if tail and closing is None:
        yield tail


def _escaped(text: bytes) -> bytes:
    return text.replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b">", b"&gt;")


def _add_items(items: list[bytes], strings: _Strings) -> None:
    lengths = [size + 3 for size in map(len, items)]
    if lengths and max(lengths) > MAX_CELL_CHARS:
        for item in items:
            _check_item(item)
    strings.sizes.extend(lengths)


def _one_string_each(items: list[bytes]) -> bool:
    """Does the reader make exactly one string of each item: a text run in every item and
    no phonetic runs? (map() keeps the test per item in C.)"""
    if any(map(bytes.__contains__, items, repeat(b"rPh"))):
        return False
    if all(map(bytes.__contains__, items, repeat(b"<t"))):
        return True
    return all(b"<t" in item or b":t" in item for item in items)


def _check_item(item: bytes) -> None:
    """Refuse one shared string (or cell) with more characters than a cell may hold."""
    if len(item) <= MAX_CELL_CHARS:
        return
    if len(item) > MAX_RUN:
        raise _Refusal("cell_too_long", chars=f">{MAX_CELL_CHARS}", limit=MAX_CELL_CHARS)
    chars = _text_chars(item)
    if chars > MAX_CELL_CHARS:
        raise _Refusal("cell_too_long", chars=chars, limit=MAX_CELL_CHARS)


_PHONETIC = re.compile(rb"<(?:[\w.\-]+:)?rPh\b.*?</(?:[\w.\-]+:)?rPh>", re.S)
_TEXT = re.compile(rb"<(?:[\w.\-]+:)?t(?:\s[^>]*)?>([^<]*)<")


def _text_chars(item: bytes) -> int:
    """Characters of the text in one string item or cell (the `<t>` runs, not phonetics)."""
    item = _PHONETIC.sub(b"", item)
    text = b"".join(_TEXT.findall(item)) if b"<" in item else item
    return len(html.unescape(text.decode("utf-8", "replace")))
