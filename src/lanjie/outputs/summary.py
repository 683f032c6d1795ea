"""The summary `lanjie run` prints: counts per bucket and courier, the most urgent work."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

from lanjie.couriers import courier_name
from lanjie.i18n import Lang, Listing, say, t
from lanjie.ingest.load import Batch
from lanjie.model import SHANGHAI, Bucket
from lanjie.work import Analysis

URGENT_SHOWN = 10
PROBLEMS_SHOWN = 5


def _bucket_label(bucket: Bucket, lang: Lang) -> str:
    return t(f"bucket_label_{bucket.value}", lang)


def _action(bucket: Bucket, lang: Lang) -> str:
    return t(f"bucket_action_{bucket.value}", lang)


def print_file_notes(batch: Batch, console: Console, lang: Lang) -> None:
    """What was noticed about the files themselves (the same file given twice …)."""
    for again, first in batch.repeated_files:
        console.print(t("same_file_twice", lang, path=again, first=first), style="yellow", markup=False)


def print_summary(analysis: Analysis, console: Console, lang: Lang) -> None:
    batch = analysis.batch
    print_file_notes(batch, console, lang)
    files = Listing(batch.files)
    console.print(t("files_read", lang, files=files, rows=batch.rows, aftersales=len(batch.aftersales)), markup=False)
    if batch.order_files:
        parcels = len(batch.courier_by_tracking_no)
        console.print(t("orders_read", lang, files=Listing(batch.order_files), parcels=parcels), markup=False)
    if batch.duplicates:
        console.print(t("duplicates_merged", lang, n=batch.duplicates))
    if batch.missing_state_column:
        console.print(t("no_state_column", lang), style="yellow", markup=False)

    counts = Counter(d.bucket for d in analysis.decisions)
    urgent = Counter(d.bucket for d in analysis.decisions if d.urgent)
    buckets = Table(title=t("summary_title", lang), title_justify="left")
    buckets.add_column(t("bucket", lang))
    buckets.add_column(t("count", lang), justify="right")
    buckets.add_column(t("col_urgent", lang), justify="right")
    buckets.add_column(t("action", lang))

    for bucket in Bucket:
        style = "bold red" if urgent[bucket] else None
        buckets.add_row(
            _bucket_label(bucket, lang),
            str(counts[bucket]),
            str(urgent[bucket] or ""),
            _action(bucket, lang),
            style=style,
        )
    console.print(buckets)

    intercept = {g.courier: len(g.parcels) for g in analysis.groups(Bucket.INTERCEPT)}
    verify = {g.courier: len(g.parcels) for g in analysis.groups(Bucket.VERIFY)}
    if intercept or verify:
        couriers = Table()
        couriers.add_column(t("courier", lang))
        couriers.add_column(t("to_intercept", lang), justify="right")
        couriers.add_column(t("to_verify", lang), justify="right")
        for code in dict.fromkeys([*intercept, *verify]):
            name = courier_name(code) if code else t("courier_unknown", lang)
            couriers.add_row(name, str(intercept.get(code, 0)), str(verify.get(code, 0)))
        console.print(couriers)

    worked = [d for d in analysis.decisions if d.bucket is not Bucket.OUT_OF_SCOPE and d.aftersale.deadline]
    if worked:
        table = Table(title=t("urgent_title", lang, n=min(URGENT_SHOWN, len(worked))), title_justify="left")
        for key in ("aftersale_id", "bucket", "deadline", "hours_left", "action"):
            table.add_column(
                t(key, lang),
                justify="right" if key == "hours_left" else "left",
                no_wrap=key != "action",
                overflow="fold",
                min_width=19 if key == "aftersale_id" else None,
            )
        for decision in worked[:URGENT_SHOWN]:
            deadline = decision.aftersale.deadline
            assert deadline is not None
            hours = decision.hours_left or 0.0
            table.add_row(
                decision.aftersale.aftersale_id,
                _bucket_label(decision.bucket, lang),
                deadline.astimezone(SHANGHAI).strftime("%m-%d %H:%M"),
                f"{hours:.1f}",
                str(say(decision.action, lang)),
                style="bold red" if hours < 0 else "yellow" if decision.urgent else None,
            )
        console.print(table)

    if batch.problems:
        console.print(t("problems_found", lang, n=len(batch.problems)), style="yellow", markup=False)
        for problem in batch.problems[:PROBLEMS_SHOWN]:
            line = t(
                "problem_line",
                lang,
                file=problem.file,
                row=problem.row,
                field=problem.field,
                value=problem.value,
                message=problem.message,
            )
            console.print(f"  {line}", markup=False, highlight=False)
    for wording in batch.unknown_wordings:
        console.print(
            t(
                "unknown_wording",
                lang,
                field=wording.column,
                value=wording.value,
                count=wording.count,
                rows=Listing(wording.rows),
            ),
            markup=False,
            style="yellow",
        )
    unknown = sum(len(g.parcels) for g in analysis.groups(Bucket.INTERCEPT) if g.courier is None)
    if unknown and not analysis.settings.partners:
        console.print(t("ambiguous_hint", lang, n=unknown), style="yellow", markup=False)
