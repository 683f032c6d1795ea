"""下载: the same workbook and text files `lanjie run` writes, for today's work in the ledger."""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from lanjie.buckets import LISTED, RULES
from lanjie.couriers import courier_name
from lanjie.errors import NotFound
from lanjie.outputs.folder import text_bytes, workbook_name, write_one, write_output_folder
from lanjie.pipeline import analyse_ledger
from lanjie.web import data
from lanjie.web.context import Operator, WorkDep, all_shops, render
from lanjie.web.listfiles import list_file
from lanjie.work import bulk_work

router = APIRouter()
ZIP = "全部文件.zip"


_LIST_PREFIX = {b.value: RULES[b].list_name for b in LISTED}


@router.get("/downloads")
def downloads_page(request: Request, web: WorkDep, _who: Operator, shop: str | None = None) -> Response:
    """The files `lanjie run` would write now (their names come from the decided work)."""
    names = [workbook_name(web.now()), "批量搜索.txt", "备注.txt", "decisions.json"]
    with web.ledger.connect() as conn:
        ids = data.shop_filter(conn, shop)
        for bucket, prefix in _LIST_PREFIX.items():
            names += [f"{prefix}-{courier_name(code)}.txt" for code, _ in data.courier_counts(conn, ids, bucket)]
    return render(request, "downloads.html", shop=shop or "", shops=all_shops(web), zip_name=ZIP, names=names)


@router.get("/downloads/files/{name}")
def download(web: WorkDep, who: Operator, name: str, shop: str | None = None) -> Response:
    """One file of the output folder for the current work (only that file is built), or all of them zipped.

    The list files come straight from the kept work; the workbook, decisions.json and the zip
    decide the work again, as `lanjie run` does."""
    settings = web.settings.model_copy(update={"operator": who})
    with web.ledger.connect() as conn:
        ids = data.shop_filter(conn, shop)
        shops = [shop] if shop and ids else []  # an unknown shop is an error, not every shop
        text = list_file(conn, ids, name, settings=settings, now=web.now(), operator=who)
    if text is not None:
        return Response(
            text_bytes(text), media_type="text/plain; charset=utf-8", headers={"Content-Disposition": _attachment(name)}
        )
    folder = Path(tempfile.mkdtemp(prefix="lanjie-download-"))
    with bulk_work():
        analysis = analyse_ledger(web.ledger, settings=settings, now=web.now(), shops=shops)
        if name == ZIP:
            files = write_output_folder(analysis, folder / "out")
        elif not write_one(analysis, name, folder / name):
            _remove(folder)
            raise NotFound("download_not_found", name=name)
    if name == ZIP:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, path.name)
        _remove(folder)
        return Response(
            buffer.getvalue(), media_type="application/zip", headers={"Content-Disposition": _attachment(ZIP)}
        )
    return FileResponse(folder / name, filename=name, background=BackgroundTask(_remove, folder))


def _attachment(name: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(name)}"


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
