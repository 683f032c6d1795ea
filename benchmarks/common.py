"""What the benchmarks share: the cached 100,000-row export and timing a child process."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

from lanjie.demo import write_demo_export
from lanjie.model import SHANGHAI

CACHE = Path(__file__).parent / ".cache"
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)


def export_file(rows: int, *, saved_at: datetime | None = None, name: str | None = None) -> Path:
    """A demo export of `rows` rows, generated once and kept in benchmarks/.cache/."""
    path = CACHE / (name or f"售后单导出-{rows}.xlsx")
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        started = time.perf_counter()
        partial = path.with_suffix(".partial.xlsx")
        write_demo_export(partial, rows=rows, seed=2026, now=NOW, saved_at=saved_at)
        partial.rename(path)
        print(f"generated {path.name} in {time.perf_counter() - started:.1f} s")
    return path


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak memory (KiB) of one command that must succeed (see `run_measured`)."""
    elapsed, peak, code, errors = run_measured(command, env)
    if code != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{errors}")
    return elapsed, peak


def run_measured(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int, int, str]:
    """Wall seconds, peak memory (KiB), exit code and stderr of one command. The peak is the
    most that its process and the processes it started held at once (their RSS summed,
    sampled every 10 ms), or its own peak RSS (from wait4) if that is more."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, env={**os.environ, **(env or {})})
        sampled = 0
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            sampled = max(sampled, _tree_rss(process.pid))
            time.sleep(0.01)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        return elapsed, max(sampled, usage.ru_maxrss), process.returncode, errors.read().decode(errors="replace")


def _tree_rss(pid: int) -> int:
    """RSS (KiB) of `pid` and the processes below it (0 for one that has just ended)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            rss = next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            below = [int(child) for child in children.read().split()]
    except (OSError, ValueError):
        return 0
    return rss + sum(map(_tree_rss, below))
