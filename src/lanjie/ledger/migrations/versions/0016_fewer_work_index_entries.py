"""Fewer index entries for an import to write into the kept work: work_parcels keeps two
indexes besides its key instead of three, and work.recheck_at is indexed only where there is
one (most rows have none). A first import of 100,000 after-sales writes 190,000 fewer index
entries (PostgreSQL: about 0.3 s less work for the server).

work_parcels: (bucket, courier, due, tracking_no) becomes (bucket, courier, due, tracking_no,
shop_id), so the 核实 list's parcels per courier are still read from it alone; (shop_id,
tracking_no) becomes (shop_id, tracking_no, bucket, courier), which also finds whether a
courier's list holds a more urgent row of a parcel, the question (bucket, courier, shop_id,
tracking_no) was kept for.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

HAS_RECHECK = sa.text("recheck_at IS NOT NULL")
OLD_INDEXES = {
    "ix_work_parcels_bucket_courier_shop_id_tracking_no": ["bucket", "courier", "shop_id", "tracking_no"],
    "ix_work_parcels_bucket_courier_due_tracking_no": ["bucket", "courier", "due", "tracking_no"],
    "ix_work_parcels_shop_id_tracking_no": ["shop_id", "tracking_no"],
}
NEW_INDEXES = {
    "ix_work_parcels_bucket_courier_due_tracking_no_shop_id": ["bucket", "courier", "due", "tracking_no", "shop_id"],
    "ix_work_parcels_shop_id_tracking_no_bucket_courier": ["shop_id", "tracking_no", "bucket", "courier"],
}


def upgrade() -> None:
    for name in OLD_INDEXES:
        op.drop_index(name, table_name="work_parcels")
    for name, columns in NEW_INDEXES.items():
        op.create_index(name, "work_parcels", columns)
    op.drop_index("ix_work_recheck_at", table_name="work")
    op.create_index(
        "ix_work_recheck_at", "work", ["recheck_at"], postgresql_where=HAS_RECHECK, sqlite_where=HAS_RECHECK
    )


def downgrade() -> None:
    op.drop_index("ix_work_recheck_at", table_name="work")
    op.create_index("ix_work_recheck_at", "work", ["recheck_at"])
    for name in NEW_INDEXES:
        op.drop_index(name, table_name="work_parcels")
    for name, columns in OLD_INDEXES.items():
        op.create_index(name, "work_parcels", columns)
