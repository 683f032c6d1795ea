"""A courier's list read in deadline order from an index: work_parcels.due.

The kept work is decided again on the next page (it is emptied here, so the new column needs
no value for old rows).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    for table in ("work_parcels", "work", "work_counts", "work_shops", "work_state"):
        op.execute(f"DELETE FROM {table}")
    with op.batch_alter_table("work_parcels") as batch:
        batch.add_column(sa.Column("due", TIME, nullable=False))
    op.create_index(
        "ix_work_parcels_bucket_courier_due_tracking_no", "work_parcels", ["bucket", "courier", "due", "tracking_no"]
    )


def downgrade() -> None:
    op.drop_index("ix_work_parcels_bucket_courier_due_tracking_no", table_name="work_parcels")
    with op.batch_alter_table("work_parcels") as batch:
        batch.drop_column("due")
