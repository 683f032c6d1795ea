"""`lanjie track`: where every parcel with open work is now, from 快递100."""

from __future__ import annotations

from typing import Any

from lanjie.cli.common import (
    Activity,
    Command,
    Config,
    Db,
    JsonOutput,
    LangOption,
    Now,
    Operator,
    ShopFilter,
    app,
    command,
    console,
    print_json,
)
from lanjie.i18n import Lang, t


@app.command(cls=Command)
def track(
    shops: ShopFilter = None,
    json_output: JsonOutput = False,
    db: Db = None,
    operator: Operator = None,
    now: Now = None,
    config: Config = None,
    lang: LangOption = None,
) -> None:
    """向快递100查询所有还有待办的包裹现在到了哪里（同一单号 30 分钟内最多查一次）。"""
    with command(locals()) as ctx:
        report = track_parcels(ctx, shops or [], quiet=json_output)
        if json_output:
            print_json(report.as_json())


def track_parcels(ctx: Any, shops: list[str], *, quiet: bool) -> Any:
    from lanjie.tracking.access import kuaidi100_from
    from lanjie.tracking.refresh import refresh_tracking

    settings, lang = ctx.settings, ctx.lang
    with kuaidi100_from(settings) as client, Activity(lang) as activity:
        report = refresh_tracking(
            ctx.ledger(),
            client,
            settings=settings,
            now=ctx.now,
            shops=shops,
            progress=lambda done, total: activity.stage(t("tracking_progress", lang, done=done, total=total)),
        )
    if not quiet:
        _say(report, lang)
    return report


def _say(report: Any, lang: Lang) -> None:
    out = console()
    out.print(
        t(
            "tracking_done",
            lang,
            parcels=report.parcels,
            asked=report.asked,
            not_due=report.not_due,
            answered=report.answered,
            changed=report.changed,
        ),
        style="green",
        markup=False,
    )
    if report.without_courier:
        out.print(t("tracking_without_courier", lang, n=report.without_courier), style="yellow", markup=False)
    for number, error in report.errors[:20]:
        out.print(t("tracking_error", lang, number=number, error=error), style="yellow", markup=False)
    if len(report.errors) > 20:
        out.print(t("tracking_more_errors", lang, n=len(report.errors) - 20), style="yellow", markup=False)
