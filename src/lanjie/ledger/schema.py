"""The ledger's tables (SQLAlchemy Core). Migrations in `migrations/` create exactly these.

After-sales and parcels are keyed by what the platform calls them (售后单号, 运单号) within a
shop, so imports can be written in bulk without asking the database for generated IDs.
Times are stored in UTC; money in 分.

The tables an import writes by the hundred thousand (after-sales, parcels and the links between
them) carry no foreign keys: the importer writes both ends in the same transaction, and
checking every key row by row more than doubled PostgreSQL's import time. What people write
(interceptions, remarks) is checked by the database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (no time zones) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the ledger stores aware datetimes only")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @staticmethod
    def sqlite_text(value: datetime) -> str:
        """What the two steps above and SQLAlchemy's SQLite DATETIME store, in one step (bulk writes)."""
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")  # twice as fast as strftime


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite only auto-increments INTEGER keys

shops = Table(
    "shops",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    # The import the shop's current work comes from: the newest last_import_id of its
    # after-sales (0 before any), kept here by each import so that pages never look for it
    # among the shop's after-sales.
    Column("current_import_id", Integer, nullable=False, server_default="0"),
)

imports = Table(
    "imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("operator", String(100), nullable=False),
    Column("imported_at", UTCDateTime, nullable=False),
    Column("bucket_counts", Text),  # JSON {shop: {bucket: n}}: the work right after this import
)

import_files = Table(
    "import_files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("import_id", ForeignKey("imports.id"), nullable=False),
    Column("file_name", String(500), nullable=False),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("exported_at", UTCDateTime, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("aftersales", Integer, nullable=False),
)

# What reading an import's files found wrong, kept so every face (and a download days later)
# reports the same problems as the command that imported them.
import_problems = Table(
    "import_problems",
    metadata,
    Column("import_id", ForeignKey("imports.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("file_name", String(500), nullable=False),
    Column("row", Integer, nullable=False),
    Column("field", String(100), nullable=False),
    Column("value", Text, nullable=False),
    Column("message", Text, nullable=False),
)

import_wordings = Table(
    "import_wordings",
    metadata,
    Column("import_id", ForeignKey("imports.id"), primary_key=True),
    Column("field", String(100), primary_key=True),
    Column("value", String(500), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("example_rows", String(200), nullable=False),  # comma-joined row numbers
)

aftersales = Table(
    "aftersales",
    metadata,
    Column("shop_id", Integer, primary_key=True),
    Column("aftersale_id", String(64), primary_key=True),
    Column("order_id", String(64)),
    Column("type", String(32), nullable=False),
    Column("type_raw", String(100), nullable=False),
    Column("state", String(32), nullable=False),
    Column("state_raw", String(100), nullable=False),
    Column("shipped", Boolean),
    Column("tracking_nos", String(500), nullable=False),  # as listed in the export, for change detection
    Column("courier_hint", String(100)),
    Column("logistics", String(32), nullable=False),
    Column("logistics_raw", String(100), nullable=False),
    Column("deadline", UTCDateTime),
    Column("refund_fen", BigInteger),
    Column("product", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("buyer_note", Text, nullable=False),
    Column("blockers", Text, nullable=False),  # JSON list of Chinese reasons
    # Where the state was read first (the same row in a later export leaves these as they are).
    Column("source_file", String(500), nullable=False),
    Column("source_row", Integer, nullable=False),
    Column("as_of", UTCDateTime, nullable=False),  # the newest export that showed this state
    Column("digest", String(32), nullable=False),
    Column("first_import_id", Integer, nullable=False),
    # The latest import whose export listed the after-sale, which makes it current work when
    # that is its shop's latest import; 0 when only exports older than the shop's current work
    # listed it (see lanjie.ledger.importer).
    # Not indexed on purpose: every import sets it on every row it sees, and an index would
    # turn those cheap in-place updates into full row rewrites. Each shop's latest import is
    # kept in shops.current_import_id instead.
    Column("last_import_id", Integer, nullable=False),
    Index(None, "shop_id", "order_id"),
    postgresql_with={"fillfactor": 70},  # room on each page to update rows in place
)

parcels = Table(
    "parcels",
    metadata,
    Column("shop_id", Integer, primary_key=True),
    Column("tracking_no", String(64), primary_key=True),
    Column("courier", String(32)),
    Column("candidates", String(200), nullable=False),  # comma-joined courier codes
    Column("courier_source", String(16), nullable=False),
)

aftersale_parcels = Table(
    "aftersale_parcels",
    metadata,
    Column("shop_id", Integer, primary_key=True),
    Column("aftersale_id", String(64), primary_key=True),
    Column("tracking_no", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Index(None, "shop_id", "tracking_no", "aftersale_id"),  # covering: the after-sales of a parcel
)

interceptions = Table(
    "interceptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, nullable=False),
    Column("tracking_no", String(64), nullable=False),
    Column("courier", String(32)),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("requested_by", String(100), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("outcome_at", UTCDateTime),
    Column("last_chased_at", UTCDateTime),
    Column("chase_count", Integer, nullable=False),
    Column("via", String(16), nullable=False, server_default="chat"),  # chat / platform / kuaidi100
    UniqueConstraint("shop_id", "tracking_no"),  # one request per parcel, whoever sends it
    ForeignKeyConstraint(["shop_id", "tracking_no"], ["parcels.shop_id", "parcels.tracking_no"]),
)

remarks = Table(
    "remarks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", ForeignKey("shops.id"), nullable=False),
    Column("order_key", String(100), nullable=False),  # 订单号, or 售后单 … when there is none
    Column("status", String(32), nullable=False),
    Column("text", String(500), nullable=False),
    Column("flag", String(4), nullable=False),
    Column("written_at", UTCDateTime, nullable=False),
    Column("written_by", String(100), nullable=False),
    UniqueConstraint("shop_id", "order_key", "status"),  # a remark is asked for once
)

# Append-only, and the database itself holds to it (triggers made by the migrations, 0001 and
# 0003): UPDATE, DELETE, REPLACE and TRUNCATE are refused on SQLite and PostgreSQL alike.
events = Table(
    "events",
    metadata,
    Column("id", ID, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("operator", String(100), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("shop_id", Integer, nullable=False),
    Column("aftersale_id", String(64)),
    Column("tracking_no", String(64)),
    Column("order_id", String(64)),
    Column("import_id", Integer),
    Column("before", Text),
    Column("after", Text),
    Index(None, "shop_id", "aftersale_id"),
    Index(None, "shop_id", "tracking_no"),
    # The parcels a courier was asked to check (已发核实): the 核实 list's counts read only these.
    Index(
        "ix_events_verify_asked",
        "shop_id",
        "tracking_no",
        postgresql_where=text("kind = 'verify_asked'"),
        sqlite_where=text("kind = 'verify_asked'"),
    ),
)


# --- The work as decided last (for the web pages): triage's decisions for each shop's
# current after-sales, kept so a page can show and count 100,000 of them without deciding
# them again. lanjie.ledger.workview keeps these tables in step with the ledger.

work = Table(
    "work",
    metadata,
    Column("shop_id", Integer, primary_key=True),
    Column("aftersale_id", String(64), primary_key=True),
    Column("order_id", String(64)),
    Column("order_key", String(100), nullable=False),
    Column("bucket", String(32), nullable=False),
    Column("remark_status", String(32)),  # the remark this work asks for (None: none)
    Column("remark_on", UTCDateTime),  # the request a remark is dated by (None: dated the day it is written)
    Column("action", String(200), nullable=False),
    Column("reasons", Text, nullable=False),  # JSON list: the reasons that do not change with the clock
    Column("deadline", UTCDateTime),
    # The deadline, or a far future for none: one indexed order, no deadline last, on every database.
    Column("due", UTCDateTime, nullable=False),
    Column("product", Text, nullable=False),
    Column("refund_fen", BigInteger),
    Column("logistics_raw", String(100), nullable=False),
    Column("couriers", String(200), nullable=False),  # of the parcels acted on, comma-joined codes
    Column("recheck_at", UTCDateTime),  # when time alone changes the decision (a chase falls due)
    Index(None, "bucket", "due"),
    Index(None, "due"),
    # Only the few rows that have one: the others cost every import an index entry each.
    Index(
        None,
        "recheck_at",
        postgresql_where=text("recheck_at IS NOT NULL"),
        sqlite_where=text("recheck_at IS NOT NULL"),
    ),
)

work_parcels = Table(
    "work_parcels",
    metadata,
    Column("shop_id", Integer, primary_key=True),
    Column("aftersale_id", String(64), primary_key=True),
    Column("tracking_no", String(64), primary_key=True),
    Column("bucket", String(32), nullable=False),
    Column("courier", String(32)),
    Column("candidates", String(200), nullable=False),
    Column("deadline", UTCDateTime),
    Column("due", UTCDateTime, nullable=False),  # the deadline, or a far future for none (as work.due)
    # A courier's list: a page of it, most urgent first, and which parcels it holds (shop_id too).
    Index(None, "bucket", "courier", "due", "tracking_no", "shop_id"),
    # A parcel's rows: when its after-sales are decided again, and on a courier's list, where
    # each parcel is shown once, by its most urgent row (bucket and courier narrow that search
    # on SQLite, which without statistics would otherwise walk the list's index instead).
    Index(None, "shop_id", "tracking_no", "bucket", "courier"),
)

# The kept work counted, per shop: after-sales per bucket (courier ""), and parcels per bucket
# and courier (each parcel once; "-" for a courier not known). Rewritten with the work, so a
# page reads its counts in a few rows whatever the size of the ledger.
work_counts = Table(
    "work_counts",
    metadata,
    Column("shop_id", Integer, primary_key=True),
    Column("bucket", String(32), primary_key=True),
    Column("courier", String(32), primary_key=True),
    Column("n", Integer, nullable=False),
)

# The import whose own transaction wrote a shop's work (lanjie.ledger.workview.write_import_work):
# the next page finds that shop's work already decided and leaves it alone.
work_shops = Table(
    "work_shops",
    metadata,
    Column("shop_id", Integer, primary_key=True),
    Column("import_id", Integer, nullable=False),
)

work_state = Table(
    "work_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("import_id", Integer, nullable=False),  # the newest import the work reflects
    Column("event_id", BigInteger, nullable=False),  # the newest event it reflects
    Column("chase_hours", Float, nullable=False),
    Column("refreshed_at", UTCDateTime, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("failed_logins", Integer, nullable=False),
    Column("last_failed_at", UTCDateTime),
)

# A login on the web: the browser keeps a random token, the ledger only its SHA-256, so logging
# out, changing the password or removing the account ends the session at once.
sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
)


# --- The 抖店 Open Platform.

# A shop connected to the platform: its authorisation, sealed with the server's secret
# (lanjie.platform.tokens), and how its last sync went.
platform_shops = Table(
    "platform_shops",
    metadata,
    Column("shop_id", ForeignKey("shops.id"), primary_key=True),
    Column("platform_shop_id", String(32), nullable=False, unique=True),
    Column("grant_type", String(32), nullable=False),  # authorization_self / authorization_code
    Column("sealed_token", Text, nullable=False),
    Column("token_expires_at", UTCDateTime, nullable=False),
    Column("connected_at", UTCDateTime, nullable=False),
    Column("connected_by", String(100), nullable=False),
    Column("synced_at", UTCDateTime),  # when the last successful sync started: the next one asks for changes since
    Column("sync_counts", Text),  # JSON: what the last successful sync fetched and changed
    Column("sync_error", Text),  # the last failed sync's explanation (None once a sync succeeds)
    Column("sync_error_at", UTCDateTime),
)

# Background work done once per interval however many servers share the ledger: a server
# claims a job's interval by moving claimed_at forward in one UPDATE, which only one can win.
job_claims = Table(
    "job_claims",
    metadata,
    Column("job", String(100), primary_key=True),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("claimed_by", String(200), nullable=False),
)

# Remarks written into 抖店 through the API: claimed before the call, so that two operators
# pushing at the same moment send each remark once.
remark_pushes = Table(
    "remark_pushes",
    metadata,
    Column("shop_id", ForeignKey("shops.id"), primary_key=True),
    Column("order_key", String(100), primary_key=True),
    Column("status", String(32), primary_key=True),
    Column("text", String(500), nullable=False),
    Column("star", Integer, nullable=False),
    Column("state", String(16), nullable=False),  # sending / sent / failed
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("claimed_by", String(100), nullable=False),
    Column("error", Text),  # the platform's reason, when it refused
)

# Failed web logins, counted in the ledger so every server sharing it throttles alike: one row
# per client address and name tried, and one per address whatever the name (name_hash "").
# The name is kept as its SHA-256: bounded in length, and a password typed into the name
# field by mistake is never stored readable.
login_failures = Table(
    "login_failures",
    metadata,
    Column("address", String(100), primary_key=True),
    Column("name_hash", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failed_at", UTCDateTime, nullable=False),
    Index(None, "last_failed_at"),
)

# What 快递100 said about each parcel last: the latest route line and its time, with when it was
# asked (the service locks a number asked again within 30 minutes) and the last failure, which
# never erases the state known before it.
parcel_tracking = Table(
    "parcel_tracking",
    metadata,
    Column("shop_id", Integer, primary_key=True),
    Column("tracking_no", String(64), primary_key=True),
    Column("asked_at", UTCDateTime, nullable=False),
    Column("checked_at", UTCDateTime),  # the last answer
    Column("state", String(32)),  # lanjie's LogisticsState
    Column("state_name", String(32)),  # 快递100's word: 在途, 派件, 签收 …
    Column("route", Text),  # the latest route line
    Column("route_at", UTCDateTime),
    Column("error", Text),
    Column("source", String(16), nullable=False),
    Index(None, "asked_at"),
)
