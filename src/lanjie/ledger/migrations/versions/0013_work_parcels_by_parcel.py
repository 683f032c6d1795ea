"""A parcel's kept rows found by its number: deciding its after-sales again (after 已发送,
已催 …) counts them before and after, and read the whole shop's list without this index.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_work_parcels_shop_id_tracking_no", "work_parcels", ["shop_id", "tracking_no"])


def downgrade() -> None:
    op.drop_index("ix_work_parcels_shop_id_tracking_no", table_name="work_parcels")
