"""Write the output folder of `lanjie run` all at once: complete, or not at all."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

from lanjie.errors import BadInput
from lanjie.ingest.clean import SHANGHAI
from lanjie.model import Bucket
from lanjie.outputs import jsonout
from lanjie.outputs.messages import (
    CourierGroup,
    courier_messages,
    message_file,
    search_file,
    unknown_courier_file,
)
from lanjie.outputs.remarks import remark_date, remarks_file
from lanjie.outputs.workbook import write_workbook
from lanjie.pipeline import Analysis


def default_out_dir(now: datetime) -> Path:
    return Path(f"lanjie-输出-{now.astimezone(SHANGHAI):%Y%m%d-%H%M}")


def _write_text(path: Path, text: str) -> None:
    # BOM + CRLF: opens correctly in Notepad on the shop's Windows PC; pastes cleanly anywhere.
    with path.open("w", encoding="utf-8-sig", newline="\r\n") as handle:
        handle.write(text)


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
    intercept = analysis.groups(Bucket.INTERCEPT)
    files = _courier_texts(intercept, "拦截", settings.intercept_template, settings.chunk_size, date)
    files |= _courier_texts(analysis.groups(Bucket.CHASE), "催拦截", settings.chase_template, settings.chunk_size, date)
    files |= _courier_texts(analysis.groups(Bucket.VERIFY), "核实", settings.verify_template, settings.chunk_size, date)
    files["批量搜索.txt"] = search_file(intercept)
    files["备注.txt"] = remarks_file(analysis.remarks)
    return files


def write_output_folder(analysis: Analysis, out_dir: Path, *, overwrite: bool = False) -> list[Path]:
    """Build everything in a hidden sibling folder, then move it into place."""
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())) and not overwrite:
        raise BadInput("out_exists", path=out_dir)
    staging = out_dir.parent / f".{out_dir.name}.partial-{os.getpid()}"
    try:
        staging.mkdir(parents=True)
        for name, text in output_files(analysis).items():
            _write_text(staging / name, text)
        document = jsonout.decisions_document(analysis.decisions, analysis.batch, now=analysis.now)
        (staging / "decisions.json").write_bytes(jsonout.dumps(document))
        write_workbook(
            staging / f"售后处理-{analysis.now.astimezone(SHANGHAI):%Y-%m-%d}.xlsx",
            decisions=analysis.decisions,
            batch=analysis.batch,
            intercept_groups=analysis.groups(Bucket.INTERCEPT),
            verify_groups=analysis.groups(Bucket.VERIFY),
            remarks=analysis.remarks,
            now=analysis.now,
        )
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
