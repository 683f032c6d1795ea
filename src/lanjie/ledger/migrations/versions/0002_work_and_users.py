"""The web workbench: decided work kept per after-sale and parcel, and user accounts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "work",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("aftersale_id", sa.String(64), nullable=False),
        sa.Column("order_id", sa.String(64)),
        sa.Column("order_key", sa.String(100), nullable=False),
        sa.Column("bucket", sa.String(32), nullable=False),
        sa.Column("remark_status", sa.String(32)),
        sa.Column("action", sa.String(200), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("deadline", TIME),
        sa.Column("due", TIME, nullable=False),
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("refund_fen", sa.BigInteger()),
        sa.Column("logistics_raw", sa.String(100), nullable=False),
        sa.Column("couriers", sa.String(200), nullable=False),
        sa.Column("recheck_at", TIME),
        sa.PrimaryKeyConstraint("shop_id", "aftersale_id", name="pk_work"),
    )
    op.create_index("ix_work_bucket_due", "work", ["bucket", "due"])
    op.create_index("ix_work_due", "work", ["due"])
    op.create_index("ix_work_recheck_at", "work", ["recheck_at"])
    op.create_table(
        "work_parcels",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("aftersale_id", sa.String(64), nullable=False),
        sa.Column("tracking_no", sa.String(64), nullable=False),
        sa.Column("bucket", sa.String(32), nullable=False),
        sa.Column("courier", sa.String(32)),
        sa.Column("candidates", sa.String(200), nullable=False),
        sa.Column("deadline", TIME),
        sa.PrimaryKeyConstraint("shop_id", "aftersale_id", "tracking_no", name="pk_work_parcels"),
    )
    op.create_index(
        "ix_work_parcels_bucket_courier_shop_id_tracking_no",
        "work_parcels",
        ["bucket", "courier", "shop_id", "tracking_no"],
    )
    op.create_table(
        "work_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("chase_hours", sa.Float(), nullable=False),
        sa.Column("refreshed_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_work_state"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", TIME),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )


def downgrade() -> None:
    for table in ("users", "work_state", "work_parcels", "work"):
        op.drop_table(table)
