"""The event log stays append-only however it is written to: no REPLACE, no TRUNCATE.

0001 refused UPDATE and DELETE. Two holes were left: on SQLite `INSERT OR REPLACE` /
`REPLACE INTO` with an existing id deletes the old row without firing delete triggers (unless
recursive_triggers is on, which is a per-connection setting), and on PostgreSQL TRUNCATE fires
no row triggers. An insert that names an existing id is now refused before it happens, and
TRUNCATE has a statement trigger of its own.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The function 0001 made raises for anything; as a statement trigger it refuses TRUNCATE.
        op.execute(
            "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
            "FOR EACH STATEMENT EXECUTE FUNCTION lanjie_events_append_only()"
        )
    else:
        # Fires for INSERT OR REPLACE, REPLACE INTO and upserts alike, before any row is removed.
        op.execute(
            "CREATE TRIGGER events_no_replace BEFORE INSERT ON events "
            "WHEN EXISTS (SELECT 1 FROM events WHERE id = NEW.id) "
            "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER events_no_truncate ON events")
    else:
        op.execute("DROP TRIGGER events_no_replace")
