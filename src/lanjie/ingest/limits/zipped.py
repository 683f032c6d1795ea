"""Zip parts: what each declares, and its bytes inflated in bounded chunks whatever it declares."""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from lanjie.ingest.limits.common import OTHER_PART_MAX, OTHER_PARTS_TOTAL, _mb, _Refusal

_CHUNK = 4 << 20


def _normal(name: str) -> str:
    return name.replace("\\", "/").lower()


def _check_declared(info: zipfile.ZipInfo) -> None:
    """Sizes a zip declares are only claims (the scan never trusts them), but a claim
    deflate cannot even produce (> 1032:1) or a part far beyond any limit is refused here."""
    if info.flag_bits & 1:
        return  # encrypted: the reader reports the password
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _Refusal("file_structure", detail=f"{info.filename}: compression method {info.compress_type}")
    if info.compress_type == zipfile.ZIP_DEFLATED and info.file_size > 1100 * max(info.compress_size, 1) + 1024:
        raise _Refusal(
            "file_unpacked_too_big",
            part=info.filename,
            size=_mb(info.file_size),
            packed=_mb(info.compress_size),
        )


def _inflate(path: Path, info: zipfile.ZipInfo, cap: int) -> Iterator[bytes]:
    """The uncompressed bytes of one part, in chunks of at most 4 MB, whatever sizes the zip
    declares (a part that claims a small size and inflates big is still bounded); refused
    past `cap`."""
    with path.open("rb") as raw:
        yield from _inflate_from(raw, info, cap)


def _inflate_from(raw: BinaryIO, info: zipfile.ZipInfo, cap: int) -> Iterator[bytes]:
    raw.seek(info.header_offset)
    header = raw.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise _Refusal("file_corrupt", detail=f"{info.filename}: bad local header")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    raw.seek(info.header_offset + 30 + name_length + extra_length)
    remaining = info.compress_size
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    produced = 0
    pending = b""
    while True:
        if inflater is not None and inflater.eof:
            return
        if not pending and remaining > 0:
            pending = raw.read(min(1 << 20, remaining))
            remaining = remaining - len(pending) if pending else 0
        if inflater is None:
            if not pending:
                return
            out, pending = pending, b""
        else:
            try:  # with no input left, what the inflater still holds back (it stops at _CHUNK)
                out = inflater.decompress(pending, _CHUNK)
            except zlib.error as error:
                raise _Refusal("file_corrupt", detail=f"{info.filename}: {error}") from None
            pending = b"" if inflater.eof else inflater.unconsumed_tail
            if not out and not pending and remaining <= 0:
                return
        if out:
            produced += len(out)
            if produced > cap:
                raise _Refusal("file_unpacked_too_big", part=info.filename, size=f">{_mb(cap)}", packed="-")
            yield out


def _check_others(path: Path, parts: list[zipfile.ZipInfo]) -> None:
    """Styles, workbook, relationships, themes …: the reader parses some of them whole, so
    each is bounded, and all of them together."""
    total = 0
    for info in parts:
        for chunk in _inflate(path, info, OTHER_PART_MAX):
            total += len(chunk)
            if total > OTHER_PARTS_TOTAL:
                raise _Refusal("file_unpacked_too_big", part=info.filename, size=f">{_mb(total)}", packed="-")


def _read_part(raw: Path, info: zipfile.ZipInfo, cap: int) -> bytes:
    return b"".join(_inflate(raw, info, cap))


def _lookahead(chunks: Iterator[bytes]) -> Iterator[tuple[bytes, bool]]:
    previous: bytes | None = None
    for chunk in chunks:
        if previous is not None:
            yield previous, False
        previous = chunk
    yield (previous or b""), True
