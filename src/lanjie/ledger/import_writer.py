"""Writing one import's after-sales: new rows, changes as events, outcomes of interceptions.

Runs inside the import's transaction (lanjie.ledger.importer takes the locks and decides which
files are new); an export older than what the ledger knows never overwrites newer knowledge.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, bindparam, func, select, text, update

from lanjie.ledger.bulk import insert_rows, insert_values, load_keys
from lanjie.ledger.events import EventKind, event_row
from lanjie.ledger.keys import keyed
from lanjie.ledger.records import (
    AFTERSALE_COLUMNS,
    PARCEL_COLUMNS,
    aftersale_row,
    aftersale_values,
    fingerprint,
    parcel_row,
    parcel_values,
    tracking_text,
)
from lanjie.ledger.schema import (
    UTCDateTime,
    aftersale_parcels,
    aftersales,
    events,
    interceptions,
    parcels,
)
from lanjie.model import SHANGHAI, AfterSale, AfterSaleState, CourierSource, Outcome
from lanjie.triage import interception_outcome

if TYPE_CHECKING:
    from lanjie.ledger.importer import ImportReport, Progress

NOT_CURRENT = 0  # last_import_id of an after-sale only ever listed by exports older than its shop's view

# A courier named by the data beats one read from the number, which beats a guess.
_SOURCE_RANK = {
    CourierSource.UNKNOWN.value: 0,
    CourierSource.PARTNERS.value: 1,
    CourierSource.PATTERN.value: 2,
    CourierSource.NAME.value: 3,
    CourierSource.ORDER_EXPORT.value: 4,
    CourierSource.PLATFORM.value: 5,
}


class RecordWriter:
    def __init__(
        self,
        conn: Connection,
        import_id: int,
        now: datetime,
        operator: str,
        report: ImportReport,
        progress: Progress | None,
    ) -> None:
        self.conn, self.import_id, self.now, self.operator = conn, import_id, now, operator
        self.report, self.progress = report, progress
        self.events: list[dict[str, Any]] = []

    def event(self, kind: EventKind, shop_id: int, record: AfterSale, **extra: Any) -> None:
        self.report.changes[kind.value] += 1
        self.events.append(
            event_row(
                kind,
                at=self.now,
                operator=self.operator,
                shop_id=shop_id,
                aftersale_id=record.aftersale_id,
                order_id=record.order_id,
                import_id=self.import_id,
                **extra,
            )
        )

    def write(self, records: list[AfterSale], exported_at: dict[str, datetime]) -> None:
        conn, shops = self.conn, self.report.shops
        stored = {
            (shop_id, aftersale_id): digest
            for shop_id, aftersale_id, digest in conn.execute(
                select(aftersales.c.shop_id, aftersales.c.aftersale_id, aftersales.c.digest).where(
                    aftersales.c.shop_id.in_(list(shops.values()))
                )
            )
        }
        view = self._view_times()

        def behind(shop_id: int, record: AfterSale) -> bool:
            """Is the record's export older than the export the shop's current work comes from?"""
            known = view.get(shop_id)
            late = known is not None and exported_at[record.source.file] < known
            if late:
                self.report.behind_shops.add(shop_id)
            return late

        new: list[tuple[int, AfterSale]] = []
        differing: list[tuple[int, AfterSale, str]] = []
        seen: dict[tuple[datetime, bool], list[tuple[int, str]]] = {}  # (export time, current?) → keys
        for record in records:
            shop_id = shops[record.shop]
            old_digest = stored.get((shop_id, record.aftersale_id))
            if old_digest is None:
                new.append((shop_id, record))
                continue
            digest = fingerprint(record)
            if old_digest == digest:
                self.report.unchanged += 1
                group = (exported_at[record.source.file], not behind(shop_id, record))
                seen.setdefault(group, []).append((shop_id, record.aftersale_id))
            else:
                differing.append((shop_id, record, digest))

        before = self._before([(shop_id, record) for shop_id, record, _ in differing])
        changed: list[tuple[int, AfterSale, str]] = []
        older: set[tuple[int, str]] = set()
        for shop_id, record, digest in differing:
            if before[(shop_id, record.aftersale_id)].as_of > exported_at[record.source.file]:
                self.report.older += 1  # an older export: keep what the ledger knows
                older.add((shop_id, record.aftersale_id))
                self.report.older_keys.add((shop_id, record.aftersale_id))
            else:
                changed.append((shop_id, record, digest))
        self.report.new, self.report.changed = len(new), len(changed)

        new_rows = (  # made as they are written (see insert_values)
            aftersale_values(
                record,
                shop_id=shop_id,
                import_id=self.import_id,
                as_of=exported_at[record.source.file],
                digest=fingerprint(record),
                last_import_id=NOT_CURRENT if behind(shop_id, record) else self.import_id,
            )
            for shop_id, record in new
        )
        links = [link for shop_id, r in new for link in _links(shop_id, r)]
        changed_rows, relinked = [], []
        for shop_id, record, digest in changed:
            old = before[(shop_id, record.aftersale_id)]
            row = aftersale_row(
                record, shop_id=shop_id, import_id=self.import_id, as_of=exported_at[record.source.file], digest=digest
            )
            del row["first_import_id"]
            if behind(shop_id, record):
                del row["last_import_id"]  # newer than what the ledger had for it, yet not the shop's current work
            changed_rows.append(row)
            self._changes(shop_id, record, old)
            if old.tracking_nos != tracking_text(record):
                relinked.append((shop_id, record.aftersale_id))
                links += _links(shop_id, record)

        self._write_parcels(new + [(shop_id, r) for shop_id, r, _ in changed])
        total = len(new) + len(links)
        insert_values(conn, aftersales, AFTERSALE_COLUMNS, new_rows, progress=self._progress(0, total))
        self._update_changed(changed_rows, relinked)
        insert_values(conn, aftersale_parcels, LINK_COLUMNS, links, progress=self._progress(len(new), total))
        for number, ((as_of, current), keys) in enumerate(sorted(seen.items())):
            self._mark_seen(keys, as_of, current=current, name="seen_aftersales" + (f"_{number}" if number else ""))
        self._outcomes((shops[r.shop], r) for r in records if (shops[r.shop], r.aftersale_id) not in older)
        insert_rows(conn, events, self.events)

    def _view_times(self) -> dict[int, datetime]:
        """For each shop, the export its current work comes from: the newest one applied."""
        query = (
            select(aftersales.c.shop_id, func.max(aftersales.c.as_of))
            .where(aftersales.c.shop_id.in_(list(self.report.shops.values())))
            .group_by(aftersales.c.shop_id)
        )
        return {shop_id: newest for shop_id, newest in self.conn.execute(query) if newest is not None}

    def _progress(self, offset: int, total: int) -> Callable[[int], None] | None:
        if self.progress is None:
            return None
        report = self.progress
        return lambda done: report(offset + done, total)

    def _before(self, changed: list[tuple[int, AfterSale]]) -> dict[tuple[int, str], Any]:
        """What the ledger held for the after-sales that changed (read only for those)."""
        keys = [(shop_id, record.aftersale_id) for shop_id, record in changed]
        rows: dict[tuple[int, str], Any] = {}
        columns = (
            aftersales.c.shop_id,
            aftersales.c.aftersale_id,
            aftersales.c.as_of,
            aftersales.c.state_raw,
            aftersales.c.logistics_raw,
            aftersales.c.deadline,
            aftersales.c.tracking_nos,
        )
        for start in range(0, len(keys), 400):
            query = select(*columns).where(
                keyed(aftersales.c.shop_id, aftersales.c.aftersale_id, keys[start : start + 400])
            )
            rows.update(((r.shop_id, r.aftersale_id), r) for r in self.conn.execute(query))
        return rows

    def _changes(self, shop_id: int, record: AfterSale, old: Any) -> None:
        if old.state_raw != record.state_raw:
            self.event(EventKind.STATE_CHANGED, shop_id, record, before=old.state_raw, after=record.state_raw)
            if record.state is AfterSaleState.REJECTED:
                self.event(EventKind.REJECTED, shop_id, record, before=old.state_raw, after=record.state_raw)
        if old.logistics_raw != record.logistics_raw:
            self.event(
                EventKind.LOGISTICS_CHANGED,
                shop_id,
                record,
                before=old.logistics_raw or "无物流状态",
                after=record.logistics_raw or "无物流状态",
            )
        if old.deadline != record.deadline:
            self.event(
                EventKind.DEADLINE_CHANGED, shop_id, record, before=_shown(old.deadline), after=_shown(record.deadline)
            )
        if old.tracking_nos != tracking_text(record):
            self.event(
                EventKind.TRACKING_CHANGED, shop_id, record, before=old.tracking_nos, after=tracking_text(record)
            )

    def _write_parcels(self, touched: list[tuple[int, AfterSale]]) -> None:
        """New parcels, and better courier knowledge for known ones, of the rows being written."""
        if not touched:
            return
        known = {
            (shop_id, tracking_no): (courier, source)
            for shop_id, tracking_no, courier, source in self.conn.execute(
                select(parcels.c.shop_id, parcels.c.tracking_no, parcels.c.courier, parcels.c.courier_source).where(
                    parcels.c.shop_id.in_(list(self.report.shops.values()))
                )
            )
        }
        new: dict[tuple[int, str], tuple[Any, ...]] = {}
        better: dict[tuple[int, str], dict[str, Any]] = {}
        for shop_id, record in touched:
            for parcel in record.parcels:
                key = (shop_id, parcel.tracking_no)
                if key not in known:
                    new.setdefault(key, parcel_values(shop_id, parcel))
                elif known[key][0] != parcel.courier and (
                    _SOURCE_RANK[str(parcel.courier_source)] >= _SOURCE_RANK[known[key][1]]
                ):
                    better[key] = parcel_row(shop_id, parcel)
        insert_values(self.conn, parcels, PARCEL_COLUMNS, list(new.values()))
        if better:
            self.conn.execute(
                update(parcels).where(
                    and_(parcels.c.shop_id == bindparam("k_shop"), parcels.c.tracking_no == bindparam("k_no"))
                ),
                [{"k_shop": r.pop("shop_id"), "k_no": r.pop("tracking_no"), **r} for r in better.values()],
            )

    def _update_changed(self, rows: list[dict[str, Any]], relinked: list[tuple[int, str]]) -> None:
        if not rows:
            return
        if relinked:
            self.conn.execute(
                aftersale_parcels.delete().where(
                    and_(
                        aftersale_parcels.c.shop_id == bindparam("k_shop"),
                        aftersale_parcels.c.aftersale_id == bindparam("k_id"),
                    )
                ),
                [{"k_shop": shop_id, "k_id": aftersale_id} for shop_id, aftersale_id in relinked],
            )
        # An executemany UPDATE sets the columns named by the parameters' keys: one statement
        # for the rows that become current work, one for those that stay as they were.
        for current in (True, False):
            group = [row for row in rows if ("last_import_id" in row) is current]
            if group:
                self.conn.execute(
                    update(aftersales).where(
                        and_(
                            aftersales.c.shop_id == bindparam("k_shop"), aftersales.c.aftersale_id == bindparam("k_id")
                        )
                    ),
                    [{"k_shop": row.pop("shop_id"), "k_id": row.pop("aftersale_id"), **row} for row in group],
                )

    def _mark_seen(self, keys: list[tuple[int, str]], as_of: datetime, *, current: bool, name: str) -> None:
        """Unchanged after-sales still in the export: this export becomes the newest that showed
        their state (as_of), unless it is older than that; and unless it is older than its
        shop's current work, they are part of today's work (they belong to this import now)."""
        load_keys(self.conn, name, keys)
        moment = bindparam("as_of", as_of, type_=UTCDateTime)
        if current:  # not older than the shop's current work, so not older than any of its rows
            statement = text(
                f"UPDATE aftersales SET last_import_id = :import_id, as_of = :as_of FROM {name} AS s "
                "WHERE aftersales.shop_id = s.shop_id AND aftersales.aftersale_id = s.key"
            ).bindparams(moment, import_id=self.import_id)
        else:
            statement = text(
                f"UPDATE aftersales SET as_of = :as_of FROM {name} AS s "
                "WHERE aftersales.shop_id = s.shop_id AND aftersales.aftersale_id = s.key AND aftersales.as_of < :as_of"
            ).bindparams(moment)
        self.conn.execute(statement)

    def _outcomes(self, current: Iterable[tuple[int, AfterSale]]) -> None:
        pending = {
            (r.shop_id, r.tracking_no)
            for r in self.conn.execute(
                select(interceptions.c.shop_id, interceptions.c.tracking_no)
                .where(interceptions.c.outcome == Outcome.PENDING.value)
                .where(interceptions.c.shop_id.in_(list(self.report.shops.values())))
            )
        }
        if not pending:
            return
        settled: list[dict[str, Any]] = []
        for shop_id, record in current:
            outcome = interception_outcome(record.logistics)
            if outcome is None:
                continue
            for parcel in record.parcels:
                if (shop_id, parcel.tracking_no) not in pending:
                    continue
                pending.discard((shop_id, parcel.tracking_no))
                settled.append(
                    {"k_shop": shop_id, "k_no": parcel.tracking_no, "outcome": outcome.value, "outcome_at": self.now}
                )
                kind = EventKind.INTERCEPT_SUCCEEDED if outcome is Outcome.SUCCESS else EventKind.INTERCEPT_FAILED
                self.report.outcomes[outcome.value] += 1
                self.event(kind, shop_id, record, tracking_no=parcel.tracking_no, after=record.logistics_raw)
        if settled:
            self.conn.execute(
                update(interceptions)
                .where(
                    and_(
                        interceptions.c.shop_id == bindparam("k_shop"), interceptions.c.tracking_no == bindparam("k_no")
                    )
                )
                .values(outcome=bindparam("outcome"), outcome_at=bindparam("outcome_at")),
                settled,
            )


LINK_COLUMNS = ("shop_id", "aftersale_id", "tracking_no", "position")


def _links(shop_id: int, record: AfterSale) -> list[tuple[int, str, str, int]]:
    """The after-sale's rows in aftersale_parcels, in the order of LINK_COLUMNS."""
    return [(shop_id, record.aftersale_id, p.tracking_no, i) for i, p in enumerate(record.parcels)]


def _shown(moment: datetime | None) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else "无"
