"""Benchmark: importing a 100,000-row export into the ledger, on SQLite and PostgreSQL.

    python benchmarks/bench_ledger.py [--rows 100000] [--postgres postgresql+psycopg://postgres@127.0.0.1/postgres]

For each database, in the same run:
  baseline   python-calamine reads the file and inserts the raw rows into a plain 50-column
             table (executemany on SQLite, COPY on PostgreSQL), one transaction;
  first      `lanjie import` into an empty ledger;
  same file  `lanjie import` of the same file again (recognised by its SHA-256);
  same rows  `lanjie import` of a different file holding the same rows (every row compared).
Each step runs as a fresh process (start-up included); each figure is the median of the
rounds. Targets: first ≤ 1.5× baseline; a re-import no slower than the first.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from common import NOW, export_file, measure

BASELINE = """
import sys, sqlite3
from python_calamine import CalamineWorkbook
rows = CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0).to_python()
header, data = rows[0], [[str(c) for c in row] for row in rows[1:]]
columns = ", ".join(f"c{i} text" for i in range(len(header)))
target = sys.argv[2]
if target.startswith("postgresql"):
    import psycopg
    with psycopg.connect(target.replace("postgresql+psycopg", "postgresql")) as conn:
        conn.execute(f"CREATE TABLE raw ({columns})")
        with conn.cursor().copy("COPY raw FROM STDIN") as copy:
            for row in data:
                copy.write_row(row)
else:
    conn = sqlite3.connect(target)
    conn.execute(f"CREATE TABLE raw ({columns})")
    conn.executemany(f"INSERT INTO raw VALUES ({', '.join('?' * len(header))})", data)
    conn.commit()
"""


class Postgres:
    def __init__(self, server: str) -> None:
        self.server = server
        self.admin = create_engine(server, isolation_level="AUTOCOMMIT")

    def fresh(self) -> str:
        name = f"lanjie_bench_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        return make_url(self.server).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))


def run(backend: str, export: Path, same_rows: Path, folder: Path, postgres: Postgres) -> dict[str, float]:
    def target(name: str) -> str:
        return postgres.fresh() if backend == "postgresql" else str(folder / f"{name}-{uuid.uuid4().hex[:6]}.sqlite3")

    baseline_db, ledger = target("baseline"), target("ledger")
    lanjie = [sys.executable, "-m", "lanjie", "import", "--now", NOW.isoformat(), "--db", ledger]
    times = {
        "baseline": measure([sys.executable, "-c", BASELINE, str(export), baseline_db])[0],
        "first": measure([*lanjie, str(export)])[0],
        "same file": measure([*lanjie, str(export)])[0],
        "same rows": measure([*lanjie, str(same_rows)])[0],
    }
    if backend == "postgresql":
        postgres.drop(baseline_db)
        postgres.drop(ledger)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; each figure is the median")
    args = parser.parse_args()
    export = export_file(args.rows)
    same_rows = export_file(args.rows, saved_at=NOW.replace(hour=10), name=f"售后单导出-{args.rows}-再次导出.xlsx")
    assert export.read_bytes() != same_rows.read_bytes()
    postgres = Postgres(args.postgres)
    print(f"file: {export.name} ({args.rows:,} rows × 50 columns, {export.stat().st_size / 1e6:.1f} MB)")
    with tempfile.TemporaryDirectory() as folder:
        for backend in ("sqlite", "postgresql"):
            rounds = [run(backend, export, same_rows, Path(folder), postgres) for _ in range(args.repeat)]
            times = {step: statistics.median(r[step] for r in rounds) for step in rounds[0]}
            base, first = times["baseline"], times["first"]
            print(f"\n{backend}")
            print(f"  baseline (read + plain insert) : {base:6.2f} s")
            print(f"  first import                   : {first:6.2f} s   {first / base:.2f}× baseline (target ≤ 1.5×)")
            for name in ("same file", "same rows"):
                ratio = times[name] / first
                print(f"  re-import, {name:<19} : {times[name]:6.2f} s   {ratio:.2f}× first (target ≤ 1×)")


if __name__ == "__main__":
    main()
