"""What reading an import's files found wrong, kept with the import.

Every face reports the problems of the imports that produced the work it shows: `lanjie run`
right away, the web's downloads and pages later, from here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from lanjie.ingest.load import Batch
from lanjie.ingest.records import UnknownWording
from lanjie.ledger.bulk import insert_rows
from lanjie.ledger.schema import import_files, import_problems, import_wordings, shops
from lanjie.model import Problem


@dataclass
class ImportNotes:
    """The files and problems behind a shop's current work."""

    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unknown_wordings: list[UnknownWording] = field(default_factory=list)


def record_problems(conn: Connection, import_id: int, batch: Batch, files: Collection[str]) -> None:
    """Keep the problems and unknown wordings of the batch's files that this import recorded."""
    problems = [p for p in batch.problems if p.file in files]
    insert_rows(
        conn,
        import_problems,
        [
            {
                "import_id": import_id,
                "position": position,
                "file_name": p.file,
                "row": p.row,
                "field": p.field,
                "value": p.value[:2000],
                "message": p.message,
            }
            for position, p in enumerate(problems)
        ],
    )
    insert_rows(
        conn,
        import_wordings,
        [
            {
                "import_id": import_id,
                "field": w.column,
                "value": w.value[:500],
                "count": w.count,
                "example_rows": ",".join(map(str, w.rows)),
            }
            for w in batch.unknown_wordings
        ],
    )


def current_imports(conn: Connection, shop_ids: Collection[int] | None) -> list[int]:
    """The import each shop's current work comes from."""
    query = select(shops.c.current_import_id)
    if shop_ids is not None:
        query = query.where(shops.c.id.in_(shop_ids))
    return sorted(i for i in conn.execute(query).scalars() if i)


def load_notes(conn: Connection, import_ids: Collection[int]) -> ImportNotes:
    notes = ImportNotes()
    if not import_ids:
        return notes
    ids = list(import_ids)
    notes.files = list(
        conn.execute(
            select(import_files.c.file_name).where(import_files.c.import_id.in_(ids)).order_by(import_files.c.id)
        ).scalars()
    )
    notes.problems = [
        Problem(row.file_name, row.row, row.field, row.value, row.message)
        for row in conn.execute(
            select(import_problems)
            .where(import_problems.c.import_id.in_(ids))
            .order_by(import_problems.c.import_id, import_problems.c.position)
        )
    ]
    merged: dict[tuple[str, str], UnknownWording] = {}
    for row in conn.execute(select(import_wordings).where(import_wordings.c.import_id.in_(ids))):
        wording = merged.setdefault((row.field, row.value), UnknownWording(row.field, row.value))
        wording.count += int(row._mapping["count"])  # not row.count: that is the tuple's method
        wording.rows += [int(n) for n in row.example_rows.split(",") if n][: 5 - len(wording.rows)]
    notes.unknown_wordings = sorted(merged.values(), key=lambda w: -w.count)
    return notes
