"""Benchmark: `lanjie triage --json` on a 100,000-row, 50-column export, end to end,
against python-calamine merely reading the same file into lists, in the same run.

    python benchmarks/bench_import.py [--rows 100000] [--repeat 7]

Both sides run as fresh processes (interpreter start-up included on both sides); wall
time is the median of the repeats, peak memory is the child's max RSS (from wait4).
Targets: time ≤ 1.5× the raw read, memory ≤ 2× the raw read's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from common import NOW, export_file, measure

RAW_READ = (
    "import sys\n"
    "from python_calamine import CalamineWorkbook\n"
    "rows = CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0).to_python()\n"
    "assert len(rows) > 1\n"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    path = export_file(args.rows)
    raw = [sys.executable, "-c", RAW_READ, str(path)]
    ours = [sys.executable, "-m", "lanjie", "triage", str(path), "--json", "--now", NOW.isoformat()]
    results: dict[str, list[tuple[float, int]]] = {"raw": [], "lanjie": []}
    with tempfile.TemporaryDirectory() as folder:
        env = {"LANJIE_DATABASE_URL": str(Path(folder) / "ledger.sqlite3")}  # an empty ledger: nothing sent yet
        for _ in range(args.repeat):
            results["raw"].append(measure(raw))
            results["lanjie"].append(measure(ours, env))
    raw_time = statistics.median(t for t, _ in results["raw"])
    our_time = statistics.median(t for t, _ in results["lanjie"])
    raw_rss = max(m for _, m in results["raw"])
    our_rss = max(m for _, m in results["lanjie"])
    size = path.stat().st_size / 1e6
    print(f"file: {path.name} ({args.rows:,} rows × 50 columns, {size:.1f} MB)")
    print(f"raw calamine read to lists : {raw_time:6.2f} s   peak {raw_rss / 1024:7.1f} MiB")
    print(f"lanjie triage --json       : {our_time:6.2f} s   peak {our_rss / 1024:7.1f} MiB")
    print(f"ratio time   : {our_time / raw_time:.2f}×  (target ≤ 1.5×)")
    print(f"ratio memory : {our_rss / raw_rss:.2f}×  (target ≤ 2×)")
    print(f"throughput   : {args.rows / our_time:,.0f} rows/s")


if __name__ == "__main__":
    main()
