"""Benchmark: `lanjie triage --json` on a 100,000-row, 50-column export, end to end,
against python-calamine merely reading the same file into lists, in the same run.

    python benchmarks/bench_import.py [--rows 100000] [--repeat 7]
    python benchmarks/bench_import.py --rows 1000000 --repeat 1     # the 1,000,000-row export

Every side runs as a fresh process (interpreter start-up included); wall time is the median
of the repeats, peak memory the most the side's processes held at once (lanjie parses a
workbook in a worker process of its own). Sides:
  raw      python-calamine reads the sheet into lists (the baseline);
  opening  what lanjie does before it reads a row: the limits scan beside python-calamine's
           parse, and the rows handed over (the floor of lanjie's time: the rest is per-row work);
  lanjie   `lanjie triage --json` with an empty ledger.
Targets: time ≤ 1.2× the raw read, memory ≤ 1.0× the raw read's.
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


OPENING = (
    "import sys\n"
    "from pathlib import Path\n"
    "from lanjie.ingest.read import open_sheet\n"
    "sheet = open_sheet(Path(sys.argv[1]))\n"
    "assert sheet.header is not None and sum(1 for _ in sheet.rest) > 1\n"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    path = export_file(args.rows)
    commands = {
        "raw": [sys.executable, "-c", RAW_READ, str(path)],
        "opening": [sys.executable, "-c", OPENING, str(path)],
        "lanjie": [sys.executable, "-m", "lanjie", "triage", str(path), "--json", "--now", NOW.isoformat()],
    }
    results: dict[str, list[tuple[float, int]]] = {side: [] for side in commands}
    with tempfile.TemporaryDirectory() as folder:
        env = {"LANJIE_DATABASE_URL": str(Path(folder) / "ledger.sqlite3")}  # an empty ledger: nothing sent yet
        for _ in range(args.repeat):
            for side, command in commands.items():
                results[side].append(measure(command, env))
    time_of = {side: statistics.median(t for t, _ in runs) for side, runs in results.items()}
    peak_of = {side: max(m for _, m in runs) for side, runs in results.items()}
    size = path.stat().st_size / 1e6
    print(f"file: {path.name} ({args.rows:,} rows × 50 columns, {size:.1f} MB)")
    for side, label in (
        ("raw", "raw calamine read to lists"),
        ("opening", "lanjie: limits scan + parse"),
        ("lanjie", "lanjie triage --json"),
    ):
        print(
            f"{label:28}: {time_of[side]:6.2f} s ({time_of[side] / time_of['raw']:.2f}×)   "
            f"peak {peak_of[side] / 1024:7.1f} MiB ({peak_of[side] / peak_of['raw']:.2f}×)"
        )
    ratio_time, ratio_memory = time_of["lanjie"] / time_of["raw"], peak_of["lanjie"] / peak_of["raw"]
    print(f"ratio time   : {ratio_time:.2f}×  (target ≤ 1.2×: {'met' if ratio_time <= 1.2 else 'NOT met'})")
    print(f"ratio memory : {ratio_memory:.2f}×  (target ≤ 1.0×: {'met' if ratio_memory <= 1.0 else 'NOT met'})")
    print(f"throughput   : {args.rows / time_of['lanjie']:,.0f} rows/s")


if __name__ == "__main__":
    main()
