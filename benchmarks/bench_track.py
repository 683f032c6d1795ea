"""How long tracking takes for the parcels with open work, against the fake 快递100, at a rate.

    python benchmarks/bench_track.py [--rows 5000] [--rate 5] [--workers 4]

It imports a demo export of `--rows` after-sales into an empty SQLite ledger, registers every
parcel with the fake (a real HTTP server, tests/fakes/kuaidi100.py) and runs the same refresh as
`lanjie track`. The baseline, measured in the same run, is the floor the rate sets: parcels ÷
rate seconds. At the default 5 a second, 5,000 parcels take about 17 minutes by design; a higher
--rate shows lanjie's own overhead.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from common import NOW, export_file  # noqa: E402
from fakes.kuaidi100 import FakeKuaidi100  # noqa: E402
from lanjie.clients.kuaidi100 import Kuaidi100Client  # noqa: E402
from lanjie.config import Settings  # noqa: E402
from lanjie.ledger.database import open_ledger  # noqa: E402
from lanjie.pipeline import analyse_ledger, import_and_analyse  # noqa: E402
from lanjie.tracking.refresh import TRACKED, refresh_tracking  # noqa: E402

PHONE = "13800001234"
STATES = ("0", "0", "0", "1", "5", "3", "6")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    settings = Settings(operator="基准", track_rate=args.rate, track_workers=args.workers, kuaidi100_phone=PHONE)
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder, FakeKuaidi100(now=NOW.timestamp()) as fake:
        ledger = open_ledger(f"sqlite:///{Path(folder) / 'ledger.sqlite3'}")
        import_and_analyse([export_file(args.rows)], settings=settings, now=NOW, ledger=ledger)
        parcels = {
            (p.tracking_no, p.courier)
            for d in analyse_ledger(ledger, settings=settings, now=NOW).decisions
            if d.bucket in TRACKED
            for p in d.aftersale.parcels
            if p.courier is not None
        }
        for number, courier in parcels:
            fake.track(number, courier, rng.choice(STATES), [("2026-11-26 08:00:00", "【杭州】运输中")], phone=PHONE)
        with Kuaidi100Client(fake.customer, fake.key, base_url=fake.url) as client:
            started = time.perf_counter()
            report = refresh_tracking(ledger, client, settings=settings, now=NOW)
            took = time.perf_counter() - started
        counts = analyse_ledger(ledger, settings=settings, now=NOW).counts_by_shop()
    floor = report.asked / args.rate
    print(
        f"{report.parcels:,} parcels with open work; {report.asked:,} asked, {report.answered:,} answered, "
        f"{len(report.errors)} errors, {report.changed:,} after-sales changed"
    )
    print(f"rate floor (asked ÷ {args.rate:g}/s): {floor:.1f} s")
    print(f"lanjie track:                 {took:.1f} s ({took / floor:.2f}× the floor, {args.workers} workers)")
    print(f"work after tracking: {counts}")


if __name__ == "__main__":
    main()
