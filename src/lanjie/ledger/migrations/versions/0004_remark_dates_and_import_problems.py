"""Remarks dated by their interception request; import problems kept with the import.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("work", sa.Column("remark_on", TIME))
    op.create_table(
        "import_problems",
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("imports.id"), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
    )
    op.create_table(
        "import_wordings",
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("imports.id"), primary_key=True),
        sa.Column("field", sa.String(100), primary_key=True),
        sa.Column("value", sa.String(500), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("example_rows", sa.String(200), nullable=False),
    )
    # The kept work is a cache of triage: forget it so the next page decides it again with
    # remark dates (the work tables are rebuilt from the ledger, nothing is lost).
    op.execute("DELETE FROM work_state")


def downgrade() -> None:
    op.drop_table("import_wordings")
    op.drop_table("import_problems")
    op.drop_column("work", "remark_on")
