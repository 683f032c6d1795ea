"""The summary `lanjie run` prints: counts per bucket and courier, the most urgent work."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

from lanjie.couriers import courier_name
from lanjie.i18n import Lang, t
from lanjie.ingest.clean import SHANGHAI
from lanjie.ingest.load import Batch
from lanjie.model import BUCKET_LABELS, Bucket
from lanjie.pipeline import Analysis
from lanjie.triage import ACTIONS

URGENT_SHOWN = 10
PROBLEMS_SHOWN = 5


def _bucket_label(bucket: Bucket, lang: Lang) -> str:
    return bucket.value if lang == "en" else BUCKET_LABELS[bucket]


def print_file_notes(batch: Batch, console: Console, lang: Lang) -> None:
    """What was noticed about the files themselves (the same file given twice …)."""
    for again, first in batch.repeated_files:
        console.print(f"[yellow]{t('same_file_twice', lang, path=again, first=first)}[/yellow]")


def print_summary(analysis: Analysis, console: Console, lang: Lang) -> None:
    batch = analysis.batch
    print_file_notes(batch, console, lang)
    console.print(
        t("files_read", lang, files="、".join(batch.files), rows=batch.rows, aftersales=len(batch.aftersales))
    )
    if batch.order_files:
        console.print(
            t("orders_read", lang, files="、".join(batch.order_files), parcels=len(batch.courier_by_tracking_no))
        )
    if batch.duplicates:
        console.print(t("duplicates_merged", lang, n=batch.duplicates))
    if batch.missing_state_column:
        console.print(f"[yellow]{t('no_state_column', lang)}[/yellow]")

    counts = Counter(d.bucket for d in analysis.decisions)
    urgent = Counter(d.bucket for d in analysis.decisions if d.urgent)
    buckets = Table(title=t("summary_title", lang), title_justify="left")
    buckets.add_column(t("bucket", lang))
    buckets.add_column(t("count", lang), justify="right")
    buckets.add_column("紧急" if lang == "zh" else "Urgent", justify="right")
    buckets.add_column(t("action", lang))

    for bucket in Bucket:
        style = "bold red" if urgent[bucket] else None
        buckets.add_row(
            _bucket_label(bucket, lang), str(counts[bucket]), str(urgent[bucket] or ""), ACTIONS[bucket], style=style
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
            couriers.add_row(courier_name(code), str(intercept.get(code, 0)), str(verify.get(code, 0)))
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
                decision.action,
                style="bold red" if hours < 0 else "yellow" if decision.urgent else None,
            )
        console.print(table)

    if batch.problems:
        console.print(f"[yellow]{t('problems_found', lang, n=len(batch.problems))}[/yellow]")
        for problem in batch.problems[:PROBLEMS_SHOWN]:
            console.print(
                f"  {problem.file} 第 {problem.row} 行 {problem.field}「{problem.value}」：{problem.message}",
                markup=False,
                highlight=False,
            )
    for wording in batch.unknown_wordings:
        console.print(
            t(
                "unknown_wording",
                lang,
                field=wording.column,
                value=wording.value,
                count=wording.count,
                rows="、".join(map(str, wording.rows)),
            ),
            markup=False,
            style="yellow",
        )
    unknown = sum(len(g.parcels) for g in analysis.groups(Bucket.INTERCEPT) if g.courier is None)
    if unknown and not analysis.settings.partners:
        console.print(t("ambiguous_hint", lang, n=unknown), style="yellow", markup=False)
