"""导入: upload exports (size-limited, checked like the command line does), record them, show what was read."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from lanjie.errors import BadInput
from lanjie.ingest.prefetch import Prefetch
from lanjie.ledger.workview import refresh_work
from lanjie.pipeline import import_and_analyse
from lanjie.web.context import Csrf, Operator, WebDep, render

router = APIRouter()
MB = 1024 * 1024
CHUNK = MB
PROBLEMS_SHOWN = 200


@router.get("/import")
def import_page(request: Request, web: WebDep, _who: Operator) -> Response:
    return render(request, "import.html", limit=web.settings.max_upload_mb)


@router.post("/import", dependencies=[Csrf])
async def import_upload(request: Request, web: WebDep, who: Operator) -> Response:
    limit = web.settings.max_upload_mb * MB
    if int(request.headers.get("content-length") or 0) > limit * 1.1:
        raise BadInput("upload_too_large", limit=web.settings.max_upload_mb)
    form = await request.form()
    uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    if not uploads:
        raise BadInput("upload_none")
    folder = Path(tempfile.mkdtemp(prefix="lanjie-upload-"))
    try:
        paths = [await _save(upload, folder / str(index), limit) for index, upload in enumerate(uploads)]
        settings = web.settings.model_copy(update={"operator": who})
        analysis = import_and_analyse(Prefetch(paths), settings=settings, now=web.now(), ledger=web.ledger)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    refresh_work(web.ledger, settings=web.settings, now=web.now())
    batch = analysis.batch
    return render(
        request,
        "import_result.html",
        batch=batch,
        report=analysis.import_report,
        problems=batch.problems[:PROBLEMS_SHOWN],
        more=max(0, len(batch.problems) - PROBLEMS_SHOWN),
    )


async def _save(upload: UploadFile, folder: Path, limit: int) -> Path:
    """Copy one upload to disk under its own (base) name, refusing it past the size limit."""
    folder.mkdir()
    path = folder / (Path(upload.filename or "").name or "导出.xlsx")
    written = 0
    with path.open("wb") as out:
        while chunk := await upload.read(CHUNK):
            written += len(chunk)
            if written > limit:
                raise BadInput("upload_too_large", limit=limit // MB)
            out.write(chunk)
    return path
