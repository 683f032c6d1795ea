"""导入: upload exports (size-limited, checked like the command line does), record them, show what was read.

The upload is read here, not by FastAPI's form parsing: the login was checked before the body
(lanjie.web.guard), the CSRF token is checked before any file is written (the header htmx sends,
else the form's `csrf` field, which comes before the files), and each file is written straight
into its own temporary folder while its bytes are counted, so a file over `max_upload_mb` stops
at the limit and leaves nothing behind.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from functools import partial
from pathlib import Path
from typing import IO
from urllib.parse import parse_qs

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import Response
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from lanjie.errors import BadInput, Forbidden
from lanjie.ingest.prefetch import Prefetch
from lanjie.ledger.workview import refresh_work
from lanjie.pipeline import import_and_analyse
from lanjie.web.context import Operator, WebDep, render
from lanjie.web.guard import MB, TooLarge

router = APIRouter()
PROBLEMS_SHOWN = 200
MAX_FIELD = 4096  # bytes of a form field that is not a file (the CSRF token)
MAX_FILES = 50
UPLOAD_PREFIX = "lanjie-upload-"


@router.get("/import")
def import_page(request: Request, web: WebDep, _who: Operator) -> Response:
    return render(request, "import.html", limit=web.settings.max_upload_mb)


@router.post("/import")
async def import_upload(request: Request, web: WebDep, who: Operator) -> Response:
    limit = web.settings.max_upload_mb * MB
    expected = str(request.session.get("csrf") or "")
    sent = request.headers.get("x-csrf-token")
    if sent is not None and not _same(expected, sent):
        raise Forbidden("csrf_failed")
    folder = Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX))
    try:
        receiver = _Receiver(folder, limit, expected, trusted=sent is not None)
        await receiver.read(request)
        if not receiver.paths:
            raise BadInput("upload_none")
        settings = web.settings.model_copy(update={"operator": who})
        analysis = await anyio.to_thread.run_sync(
            partial(import_and_analyse, Prefetch(receiver.paths), settings=settings, now=web.now(), ledger=web.ledger)
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    await anyio.to_thread.run_sync(partial(refresh_work, web.ledger, settings=web.settings, now=web.now()))
    batch = analysis.batch
    return render(
        request,
        "import_result.html",
        batch=batch,
        report=analysis.import_report,
        problems=batch.problems[:PROBLEMS_SHOWN],
        more=max(0, len(batch.problems) - PROBLEMS_SHOWN),
    )


def _same(expected: str, sent: str) -> bool:
    return bool(expected) and bool(sent) and secrets.compare_digest(expected.encode(), sent.encode())


class _Receiver:
    """A multipart body streamed into files under `folder`, one sub-folder per file, each under
    its own (base) name, none past `limit` bytes."""

    def __init__(self, folder: Path, limit: int, csrf: str, *, trusted: bool) -> None:
        self.folder = folder
        self.limit = limit
        self.csrf = csrf
        self.trusted = trusted  # the CSRF header was right
        self.paths: list[Path] = []
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._field: bytearray | None = None
        self._field_name = ""
        self._file: IO[bytes] | None = None
        self._skipping = False
        self._written = 0

    async def read(self, request: Request) -> None:
        _, params = parse_options_header(request.headers.get("content-type"))
        boundary = params.get(b"boundary")
        if not boundary:  # not a file form (no file chosen?): a small form, its token checked
            await self._small_form(request)
            raise BadInput("upload_none")
        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value_part,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )
        try:
            async for chunk in request.stream():  # counted by the guard too: the request as a whole
                parser.write(chunk)
            parser.finalize()
        except FormParserError as error:
            raise BadInput("upload_none") from error
        finally:
            self._close()
        if not self.trusted:
            raise Forbidden("csrf_failed")

    async def _small_form(self, request: Request) -> None:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FIELD:
                break
        sent = parse_qs(body.decode("utf-8", "replace")).get("csrf", [""])[0]
        if not (self.trusted or _same(self.csrf, sent)):
            raise Forbidden("csrf_failed")

    def _part_begin(self) -> None:
        self._disposition = b""
        self._field = None
        self._file = None
        self._skipping = False
        self._written = 0

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_part(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if b"filename" not in options:
            self._field = bytearray()
            self._field_name = options.get(b"name", b"").decode("utf-8", "replace")
            return
        if not self.trusted:  # a file before the token: nothing is written for a forged form
            raise Forbidden("csrf_failed")
        name = Path(options[b"filename"].decode("utf-8", "replace").replace("\\", "/")).name
        if options.get(b"name") != b"files" or not name:
            self._skipping = True  # another field, or the file input left empty
            return
        if len(self.paths) >= MAX_FILES:
            raise BadInput("upload_too_many", n=MAX_FILES)
        sub = self.folder / str(len(self.paths))
        sub.mkdir()
        path = sub / name
        self._file = path.open("wb")
        self.paths.append(path)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._field is not None:
            self._field += data[start:end]
            if len(self._field) > MAX_FIELD:
                raise BadInput("upload_none")
        elif self._file is not None:
            self._written += end - start
            if self._written > self.limit:
                raise TooLarge("upload_too_large", limit=self.limit // MB)
            self._file.write(data[start:end])

    def _part_end(self) -> None:
        if self._field is not None and self._field_name == "csrf":
            self.trusted = self.trusted or _same(self.csrf, self._field.decode("utf-8", "replace"))
        self._close()
        self._field = None

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
