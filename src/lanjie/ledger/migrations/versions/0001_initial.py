"""The first ledger: shops, imports, after-sales, parcels, interceptions, remarks, events.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)
EVENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "shops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.UniqueConstraint("name", name="uq_shops_name"),
        sa.PrimaryKeyConstraint("id", name="pk_shops"),
    )
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator", sa.String(100), nullable=False),
        sa.Column("imported_at", TIME, nullable=False),
        sa.Column("bucket_counts", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_imports"),
    )
    op.create_table(
        "import_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("exported_at", TIME, nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("aftersales", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_import_files"),
        sa.ForeignKeyConstraint(["import_id"], ["imports.id"], name="fk_import_files_import_id_imports"),
        sa.UniqueConstraint("sha256", name="uq_import_files_sha256"),
    )
    op.create_table(
        "aftersales",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("aftersale_id", sa.String(64), nullable=False),
        sa.Column("order_id", sa.String(64)),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("type_raw", sa.String(100), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("state_raw", sa.String(100), nullable=False),
        sa.Column("shipped", sa.Boolean()),
        sa.Column("tracking_nos", sa.String(500), nullable=False),
        sa.Column("courier_hint", sa.String(100)),
        sa.Column("logistics", sa.String(32), nullable=False),
        sa.Column("logistics_raw", sa.String(100), nullable=False),
        sa.Column("deadline", TIME),
        sa.Column("refund_fen", sa.BigInteger()),
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("buyer_note", sa.Text(), nullable=False),
        sa.Column("blockers", sa.Text(), nullable=False),
        sa.Column("source_file", sa.String(500), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column("as_of", TIME, nullable=False),
        sa.Column("digest", sa.String(32), nullable=False),
        sa.Column("first_import_id", sa.Integer(), nullable=False),
        sa.Column("last_import_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", "aftersale_id", name="pk_aftersales"),
        postgresql_with={"fillfactor": 70},
    )
    op.create_index("ix_aftersales_shop_id_order_id", "aftersales", ["shop_id", "order_id"])
    op.create_table(
        "parcels",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("tracking_no", sa.String(64), nullable=False),
        sa.Column("courier", sa.String(32)),
        sa.Column("candidates", sa.String(200), nullable=False),
        sa.Column("courier_source", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", "tracking_no", name="pk_parcels"),
    )
    op.create_table(
        "aftersale_parcels",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("aftersale_id", sa.String(64), nullable=False),
        sa.Column("tracking_no", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", "aftersale_id", "tracking_no", name="pk_aftersale_parcels"),
    )
    op.create_index("ix_aftersale_parcels_shop_id_tracking_no", "aftersale_parcels", ["shop_id", "tracking_no"])
    op.create_table(
        "interceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("tracking_no", sa.String(64), nullable=False),
        sa.Column("courier", sa.String(32)),
        sa.Column("requested_at", TIME, nullable=False),
        sa.Column("requested_by", sa.String(100), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("outcome_at", TIME),
        sa.Column("last_chased_at", TIME),
        sa.Column("chase_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_interceptions"),
        sa.UniqueConstraint("shop_id", "tracking_no", name="uq_interceptions_shop_id_tracking_no"),
        sa.ForeignKeyConstraint(
            ["shop_id", "tracking_no"],
            ["parcels.shop_id", "parcels.tracking_no"],
            name="fk_interceptions_shop_id_tracking_no_parcels",
        ),
    )
    op.create_table(
        "remarks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_key", sa.String(100), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("flag", sa.String(4), nullable=False),
        sa.Column("written_at", TIME, nullable=False),
        sa.Column("written_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_remarks"),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name="fk_remarks_shop_id_shops"),
        sa.UniqueConstraint("shop_id", "order_key", "status", name="uq_remarks_shop_id_order_key_status"),
    )
    op.create_table(
        "events",
        sa.Column("id", EVENT_ID, nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("operator", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("aftersale_id", sa.String(64)),
        sa.Column("tracking_no", sa.String(64)),
        sa.Column("order_id", sa.String(64)),
        sa.Column("import_id", sa.Integer()),
        sa.Column("before", sa.Text()),
        sa.Column("after", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_shop_id_aftersale_id", "events", ["shop_id", "aftersale_id"])
    op.create_index("ix_events_shop_id_tracking_no", "events", ["shop_id", "tracking_no"])
    _forbid_changes_to_events()


def _forbid_changes_to_events() -> None:
    """The event log is append-only: the database itself refuses UPDATE and DELETE."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION lanjie_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'events are append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
            "FOR EACH ROW EXECUTE FUNCTION lanjie_events_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_no_{action.lower()} BEFORE {action} ON events "
                "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER events_append_only ON events")
        op.execute("DROP FUNCTION lanjie_events_append_only()")
    for table in (
        "events",
        "remarks",
        "interceptions",
        "aftersale_parcels",
        "parcels",
        "aftersales",
        "import_files",
        "imports",
        "shops",
    ):
        op.drop_table(table)
