"""Write the output folder of `lanjie run` all at once: complete, or not at all."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path

from lanjie.buckets import LISTED, RULES
from lanjie.config import Settings
from lanjie.errors import BadInput
from lanjie.model import SHANGHAI, Bucket
from lanjie.outputs import jsonout
from lanjie.outputs.messages import courier_messages, message_file, search_file, unknown_courier_file
from lanjie.outputs.remarks import remarks_file
from lanjie.outputs.workbook import write_workbook
from lanjie.remarks import remark_date
from lanjie.work import Analysis, CourierGroup


def default_out_dir(now: datetime) -> Path:
    return Path(f"lanjie-输出-{now.astimezone(SHANGHAI):%Y%m%d-%H%M}")


TEMPLATES: dict[Bucket, Callable[[Settings], str]] = {
    Bucket.INTERCEPT: lambda settings: settings.intercept_template,
    Bucket.CHASE: lambda settings: settings.chase_template,
    Bucket.VERIFY: lambda settings: settings.verify_template,
}


def text_bytes(text: str) -> bytes:
    """A text file as lanjie writes it. BOM + CRLF: opens correctly in Notepad on the shop's
    Windows PC; pastes cleanly anywhere."""
    return ("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8")


def _write_text(path: Path, text: str) -> None:
    path.write_bytes(text_bytes(text))


def _courier_texts(
    groups: list[CourierGroup],
    prefix: str,
    template: str,
    chunk_size: int,
    date: str,
) -> dict[str, str]:
    files = {}
    for group in groups:
        if group.courier is None:
            text = unknown_courier_file(group)
        else:
            text = message_file(courier_messages(group, template=template, chunk_size=chunk_size, date=date))
        files[f"{prefix}-{group.name}.txt"] = text
    return files


def output_files(analysis: Analysis) -> dict[str, str]:
    """Every text file of the folder, by name."""
    settings = analysis.settings
    date = remark_date(analysis.now)
    files: dict[str, str] = {}
    for bucket in LISTED:
        template = TEMPLATES[bucket](settings)
        list_name = RULES[bucket].list_name
        assert list_name is not None
        files |= _courier_texts(analysis.groups(bucket), list_name, template, settings.chunk_size, date)
    files["批量搜索.txt"] = search_file(analysis.groups(Bucket.INTERCEPT))
    files["备注.txt"] = remarks_file(analysis.remarks)
    return files


def workbook_name(now: datetime) -> str:
    return f"售后处理-{now.astimezone(SHANGHAI):%Y-%m-%d}.xlsx"


def _write_decisions(analysis: Analysis, path: Path) -> None:
    with path.open("wb") as out:
        jsonout.write_document(out, analysis.decisions, analysis.batch, now=analysis.now, lang=analysis.settings.lang)


def _write_workbook(analysis: Analysis, path: Path) -> None:
    write_workbook(
        path,
        decisions=analysis.decisions,
        batch=analysis.batch,
        intercept_groups=analysis.groups(Bucket.INTERCEPT),
        verify_groups=analysis.groups(Bucket.VERIFY),
        remarks=analysis.remarks,
        now=analysis.now,
    )


def file_writers(analysis: Analysis) -> dict[str, Callable[[Path], None]]:
    """Each file of the folder by name, with what writes it: one file can be built alone."""
    writers: dict[str, Callable[[Path], None]] = {
        name: partial(_write_text, text=text) for name, text in output_files(analysis).items()
    }
    writers["decisions.json"] = partial(_write_decisions, analysis)
    writers[workbook_name(analysis.now)] = partial(_write_workbook, analysis)
    return writers


def write_one(analysis: Analysis, name: str, path: Path) -> bool:
    """Build only the file called `name` at `path`; False when the work has no such file."""
    writer = file_writers(analysis).get(name)
    if writer is None:
        return False
    writer(path)
    return True


def write_output_folder(analysis: Analysis, out_dir: Path, *, overwrite: bool = False) -> list[Path]:
    """Build everything in a hidden sibling folder, then move it into place."""
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())) and not overwrite:
        raise BadInput("out_exists", path=out_dir)
    staging = out_dir.parent / f".{out_dir.name}.partial-{os.getpid()}"
    try:
        staging.mkdir(parents=True)
        for name, write in file_writers(analysis).items():
            write(staging / name)
        if out_dir.exists():
            retired = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
            out_dir.rename(retired)
            staging.rename(out_dir)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            staging.rename(out_dir)
    except OSError as error:
        raise BadInput("out_not_writable", path=out_dir, detail=error.strerror or str(error)) from error
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return sorted(out_dir.iterdir())
