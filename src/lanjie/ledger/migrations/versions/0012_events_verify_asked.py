"""The parcels a courier was asked to check (已发核实) in an index of their own, so the 核实
list's counts read those events instead of every event the ledger ever logged.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ASKED = sa.text("kind = 'verify_asked'")


def upgrade() -> None:
    op.create_index(
        "ix_events_verify_asked",
        "events",
        ["shop_id", "tracking_no"],
        postgresql_where=ASKED,
        sqlite_where=ASKED,
    )


def downgrade() -> None:
    op.drop_index("ix_events_verify_asked", table_name="events")
