"""Each shop's current import kept on the shop: the first page after an import looked for the
shops it changed, and whether their work was written, among all their after-sales (150 ms at
100,000 after-sales, growing with the ledger) while the other pages waited for it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shops") as batch:
        batch.add_column(sa.Column("current_import_id", sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE shops SET current_import_id = COALESCE("
        "(SELECT max(last_import_id) FROM aftersales WHERE aftersales.shop_id = shops.id), 0)"
    )


def downgrade() -> None:
    with op.batch_alter_table("shops") as batch:
        batch.drop_column("current_import_id")
