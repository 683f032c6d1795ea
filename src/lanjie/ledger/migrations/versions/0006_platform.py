"""The 抖店 Open Platform: connected shops, remarks written through the API, background jobs
claimed once per interval, and how each interception was asked for.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "platform_shops",
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id"), primary_key=True),
        sa.Column("platform_shop_id", sa.String(32), nullable=False, unique=True),
        sa.Column("grant_type", sa.String(32), nullable=False),
        sa.Column("sealed_token", sa.Text(), nullable=False),
        sa.Column("token_expires_at", TIME, nullable=False),
        sa.Column("connected_at", TIME, nullable=False),
        sa.Column("connected_by", sa.String(100), nullable=False),
        sa.Column("synced_at", TIME),
        sa.Column("sync_counts", sa.Text()),
        sa.Column("sync_error", sa.Text()),
        sa.Column("sync_error_at", TIME),
    )
    op.create_table(
        "job_claims",
        sa.Column("job", sa.String(100), primary_key=True),
        sa.Column("claimed_at", TIME, nullable=False),
        sa.Column("claimed_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "remark_pushes",
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id"), primary_key=True),
        sa.Column("order_key", sa.String(100), primary_key=True),
        sa.Column("status", sa.String(32), primary_key=True),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("star", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claimed_at", TIME, nullable=False),
        sa.Column("claimed_by", sa.String(100), nullable=False),
        sa.Column("error", sa.Text()),
    )
    with op.batch_alter_table("interceptions") as batch:
        batch.add_column(sa.Column("via", sa.String(16), nullable=False, server_default="chat"))


def downgrade() -> None:
    with op.batch_alter_table("interceptions") as batch:
        batch.drop_column("via")
    op.drop_table("remark_pushes")
    op.drop_table("job_claims")
    op.drop_table("platform_shops")
