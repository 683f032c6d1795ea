"""Benchmark: `lanjie triage --json` on a 100,000-row, 50-column export, end to end,
against python-calamine merely reading the same file into lists, in the same run.

    python benchmarks/bench_import.py [--rows 100000] [--repeat 3]

Both sides run as fresh processes (interpreter start-up included on both sides); wall
time is the median of the repeats, peak memory is the child's max RSS (from wait4).
Targets: time ≤ 1.5× the raw read, memory ≤ 2× the raw read's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from lanjie.demo import write_demo_export
from lanjie.ingest.clean import SHANGHAI

CACHE = Path(__file__).parent / ".cache"
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)

RAW_READ = (
    "import sys\n"
    "from python_calamine import CalamineWorkbook\n"
    "rows = CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0).to_python()\n"
    "assert len(rows) > 1\n"
)


def export_file(rows: int) -> Path:
    path = CACHE / f"售后单导出-{rows}.xlsx"
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        started = time.perf_counter()
        partial = path.with_suffix(".partial.xlsx")
        write_demo_export(partial, rows=rows, seed=2026, now=NOW)
        partial.rename(path)
        print(f"generated {path.name} in {time.perf_counter() - started:.1f} s")
    return path


def measure(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one child process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return elapsed, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = export_file(args.rows)
    raw = [sys.executable, "-c", RAW_READ, str(path)]
    ours = [sys.executable, "-m", "lanjie", "triage", str(path), "--json", "--now", NOW.isoformat()]
    results: dict[str, list[tuple[float, int]]] = {"raw": [], "lanjie": []}
    for _ in range(args.repeat):
        results["raw"].append(measure(raw))
        results["lanjie"].append(measure(ours))
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
