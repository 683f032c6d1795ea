"""Claims: work that only one process may do at a time, or once per interval, whatever the
number of servers sharing the ledger.

A claim is a row in job_claims moved forward by one UPDATE whose WHERE only an expired claim
satisfies. On PostgreSQL a second server's UPDATE waits for the first one's row lock and then
re-reads the row, finds it claimed and changes nothing; on SQLite writers take turns anyway.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, update

from lanjie.ledger.actions import insert_new
from lanjie.ledger.database import write_transaction
from lanjie.ledger.schema import job_claims


def claim(engine: Engine, job: str, *, by: str, now: datetime, every: timedelta) -> bool:
    """Whether this caller got `job`: nobody claimed it in the last `every`."""
    with write_transaction(engine) as conn:
        if insert_new(conn, job_claims, [{"job": job, "claimed_at": now, "claimed_by": by}], ["job"]):
            return True
        moved = conn.execute(
            update(job_claims)
            .where(job_claims.c.job == job, job_claims.c.claimed_at <= now - every)
            .values(claimed_at=now, claimed_by=by)
        )
        return moved.rowcount == 1


def release(engine: Engine, job: str) -> None:
    """Give the job back at once (the work is done, or could not be done)."""
    with write_transaction(engine) as conn:
        conn.execute(delete(job_claims).where(job_claims.c.job == job))
