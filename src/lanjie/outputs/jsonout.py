"""decisions.json / `lanjie triage --json`: the machine-readable contract (keep it stable)."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import datetime
from operator import attrgetter
from typing import Any, BinaryIO

import orjson

from lanjie.i18n import Lang, say, translated
from lanjie.ingest.load import Batch
from lanjie.model import Bucket, Decision

SCHEMA_VERSION = 1
_EMPTY_ITEMS = b'"items":[]'
_ITEMS_PER_WRITE = 5_000


def decision_item(decision: Decision, lang: Lang = "zh") -> dict[str, Any]:
    """One item, its phrases (the action and the reasons: nothing else in it is one) said in
    `lang`: what `translated` would make of it, without walking every value of every item."""
    record = decision.aftersale
    hours_left = decision.hours_left
    action: object = decision.action
    reasons: tuple[object, ...] = decision.reasons
    if lang != "zh":
        action, reasons = say(action, lang), tuple(say(reason, lang) for reason in reasons)
    return {
        "shop": record.shop,
        "aftersale_id": record.aftersale_id,
        "order_id": record.order_id,
        "bucket": decision.bucket,
        "action": action,
        "parcels": [
            {
                "tracking_no": p.tracking_no,
                "courier": p.courier,
                "courier_candidates": p.candidates,
                "courier_source": p.courier_source,
            }
            for p in record.parcels
        ],
        "deadline": record.deadline,
        "hours_left": None if hours_left is None else round(hours_left, 2),
        "urgent": decision.urgent,
        "reasons": reasons,
        "source": {"file": record.source.file, "row": record.source.row},
    }


def decisions_document(decisions: list[Decision], batch: Batch, *, now: datetime) -> dict[str, Any]:
    """The whole document as one object (tests and small batches; big ones go through `write_document`)."""
    document = _frame(decisions, batch, now=now)
    document["items"] = [decision_item(d) for d in decisions if d.bucket is not Bucket.OUT_OF_SCOPE]
    return document


def _frame(decisions: list[Decision], batch: Batch, *, now: datetime) -> dict[str, Any]:
    """Everything but the items, in the document's key order (the items' place held by an empty list)."""
    counts = Counter(map(attrgetter("bucket"), decisions))
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": now,
        "files": batch.files + batch.order_files,
        "counts": {bucket.value: counts[bucket] for bucket in Bucket},
        "items": [],
        "problems": [
            {"file": p.file, "row": p.row, "field": p.field, "value": p.value, "message": p.message}
            for p in batch.problems
        ],
        "unknown_wordings": [
            {"field": w.column, "value": w.value, "count": w.count, "rows": w.rows} for w in batch.unknown_wordings
        ],
    }


def write_document(out: BinaryIO, decisions: list[Decision], batch: Batch, *, now: datetime, lang: Lang) -> None:
    """The same bytes as `dumps(translated(decisions_document(…), lang))`, written a few
    thousand items at a time: 100,000 items never exist as dicts and one JSON text at once."""
    frame = orjson.dumps(translated(_frame(decisions, batch, now=now), lang))
    before, after = frame.split(_EMPTY_ITEMS, 1)
    out.write(before + b'"items":[')
    out_of_scope = Bucket.OUT_OF_SCOPE
    items = (d for d in decisions if d.bucket is not out_of_scope)
    separator = b""
    while chunk := list(itertools.islice(items, _ITEMS_PER_WRITE)):
        text = orjson.dumps([decision_item(d, lang) for d in chunk])
        out.write(separator)
        out.write(memoryview(text)[1:-1])  # without its [ ], not copied
        separator = b","
    out.write(b"]" + after)


def dumps(document: dict[str, Any]) -> bytes:
    """UTF-8 JSON; datetimes as ISO 8601 with their offset (+08:00)."""
    return orjson.dumps(document)
