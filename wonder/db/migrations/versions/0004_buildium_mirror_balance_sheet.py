"""buildium mirror, pm balance sheet, reconciliations

Tables for the Buildium mirror (rentals, units, owners and their properties, tenants, leases and
their tenants, lease transactions and their journal lines, GL accounts), the PM Balance Sheet rows
computed from it, and the reconciliation runs against Buildium's outstanding balances.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 04:38:11.716459
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import wonder.db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "buildium_gl_accounts",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("account_number", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("sub_type", sa.String(length=32), nullable=True),
        sa.Column("default_account_name", sa.String(length=255), nullable=True),
        sa.Column("is_bank_account", sa.Boolean(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", wonder.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buildium_gl_accounts")),
    )
    op.create_table(
        "buildium_lease_tenants",
        sa.Column("lease_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tenant_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("move_in_date", sa.Date(), nullable=True),
        sa.Column("move_out_date", sa.Date(), nullable=True),
        sa.Column("notice_given_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("lease_id", "tenant_id", name=op.f("pk_buildium_lease_tenants")),
    )
    with op.batch_alter_table("buildium_lease_tenants", schema=None) as batch_op:
        batch_op.create_index("ix_buildium_lease_tenants_tenant", ["tenant_id"], unique=False)

    op.create_table(
        "buildium_lease_transactions",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("lease_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("transaction_type", sa.String(length=48), nullable=False),
        sa.Column("total_amount", wonder.db.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", wonder.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buildium_lease_transactions")),
    )
    with op.batch_alter_table("buildium_lease_transactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_buildium_lease_transactions_lease", ["lease_id", "date", "id"], unique=False
        )

    op.create_table(
        "buildium_leases",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_number", sa.String(length=64), nullable=True),
        sa.Column("lease_from_date", sa.Date(), nullable=True),
        sa.Column("lease_to_date", sa.Date(), nullable=True),
        sa.Column("lease_type", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rent", wonder.db.types.Money(precision=14, scale=2), nullable=True),
        sa.Column("security_deposit", wonder.db.types.Money(precision=14, scale=2), nullable=True),
        sa.Column("last_updated_at", wonder.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ledger_pending", sa.Boolean(), nullable=False),
        sa.Column("ledger_read_at", wonder.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", wonder.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buildium_leases")),
    )
    with op.batch_alter_table("buildium_leases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_buildium_leases_property_id"), ["property_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_buildium_leases_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "buildium_owner_rentals",
        sa.Column("owner_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("rental_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("owner_id", "rental_id", name=op.f("pk_buildium_owner_rentals")),
    )
    with op.batch_alter_table("buildium_owner_rentals", schema=None) as batch_op:
        batch_op.create_index("ix_buildium_owner_rentals_rental", ["rental_id"], unique=False)

    op.create_table(
        "buildium_owners",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("is_company", sa.Boolean(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=True),
        sa.Column("first_name", sa.String(length=128), nullable=True),
        sa.Column("last_name", sa.String(length=128), nullable=True),
        sa.Column("company_name", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", wonder.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buildium_owners")),
    )
    op.create_table(
        "buildium_reconciliation_runs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("ran_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("leases_compared", sa.Integer(), nullable=False),
        sa.Column("mismatches", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buildium_reconciliation_runs")),
    )
    with op.batch_alter_table("buildium_reconciliation_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_buildium_reconciliation_runs_ran_at"), ["ran_at"], unique=False
        )

    op.create_table(
        "buildium_rentals",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("rental_type", sa.String(length=32), nullable=True),
        sa.Column("rental_sub_type", sa.String(length=32), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=True),
        sa.Column("city", sa.String(length=128), nullable=True),
        sa.Column("state", sa.String(length=64), nullable=True),
        sa.Column("postal_code", sa.String(length=16), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", wonder.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buildium_rentals")),
    )
    op.create_table(
        "buildium_tenants",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("first_name", sa.String(length=128), nullable=True),
        sa.Column("last_name", sa.String(length=128), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", wonder.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buildium_tenants")),
    )
    op.create_table(
        "buildium_units",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("unit_number", sa.String(length=64), nullable=True),
        sa.Column("market_rent", wonder.db.types.Money(precision=14, scale=2), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", wonder.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buildium_units")),
    )
    with op.batch_alter_table("buildium_units", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_buildium_units_property_id"), ["property_id"], unique=False
        )

    op.create_table(
        "pm_balance_sheet_rows",
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("lease_id", sa.Integer(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("charges", wonder.db.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("payments", wonder.db.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("credits", wonder.db.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("balance", wonder.db.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("deposits_held", wonder.db.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("deposit_due", wonder.db.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("outstanding", wonder.db.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("days_delinquent", sa.Integer(), nullable=False),
        sa.Column("oldest_unpaid_charge", sa.Date(), nullable=True),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.Column("computed_at", wonder.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "entity_id", name=op.f("pk_pm_balance_sheet_rows")),
    )
    with op.batch_alter_table("pm_balance_sheet_rows", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pm_balance_sheet_rows_delinquency", ["scope", "days_delinquent"], unique=False
        )
        batch_op.create_index(
            "ix_pm_balance_sheet_rows_property", ["property_id", "scope"], unique=False
        )

    op.create_table(
        "buildium_lease_transaction_lines",
        sa.Column("transaction_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("line_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("lease_id", sa.Integer(), nullable=False),
        sa.Column("gl_account_id", sa.Integer(), nullable=True),
        sa.Column("amount", wonder.db.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("is_cash_posting", sa.Boolean(), nullable=True),
        sa.Column("property_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["buildium_lease_transactions.id"],
            name=op.f(
                "fk_buildium_lease_transaction_lines_transaction_id_buildium_lease_transactions"
            ),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "transaction_id", "line_number", name=op.f("pk_buildium_lease_transaction_lines")
        ),
    )
    with op.batch_alter_table("buildium_lease_transaction_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_buildium_lease_transaction_lines_lease_id"), ["lease_id"], unique=False
        )

    op.create_table(
        "buildium_reconciliation_leases",
        sa.Column(
            "run_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("lease_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mismatch", sa.Boolean(), nullable=False),
        sa.Column("ours", wonder.db.types.Money(precision=14, scale=2), nullable=True),
        sa.Column("theirs", wonder.db.types.Money(precision=14, scale=2), nullable=True),
        sa.Column("difference", wonder.db.types.Money(precision=14, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["buildium_reconciliation_runs.id"],
            name=op.f("fk_buildium_reconciliation_leases_run_id_buildium_reconciliation_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "run_id", "lease_id", name=op.f("pk_buildium_reconciliation_leases")
        ),
    )
    with op.batch_alter_table("buildium_reconciliation_leases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_buildium_reconciliation_leases_mismatch", ["run_id", "mismatch"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("buildium_reconciliation_leases", schema=None) as batch_op:
        batch_op.drop_index("ix_buildium_reconciliation_leases_mismatch")

    op.drop_table("buildium_reconciliation_leases")
    with op.batch_alter_table("buildium_lease_transaction_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_buildium_lease_transaction_lines_lease_id"))

    op.drop_table("buildium_lease_transaction_lines")
    with op.batch_alter_table("pm_balance_sheet_rows", schema=None) as batch_op:
        batch_op.drop_index("ix_pm_balance_sheet_rows_property")
        batch_op.drop_index("ix_pm_balance_sheet_rows_delinquency")

    op.drop_table("pm_balance_sheet_rows")
    with op.batch_alter_table("buildium_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_buildium_units_property_id"))

    op.drop_table("buildium_units")
    op.drop_table("buildium_tenants")
    op.drop_table("buildium_rentals")
    with op.batch_alter_table("buildium_reconciliation_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_buildium_reconciliation_runs_ran_at"))

    op.drop_table("buildium_reconciliation_runs")
    op.drop_table("buildium_owners")
    with op.batch_alter_table("buildium_owner_rentals", schema=None) as batch_op:
        batch_op.drop_index("ix_buildium_owner_rentals_rental")

    op.drop_table("buildium_owner_rentals")
    with op.batch_alter_table("buildium_leases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_buildium_leases_unit_id"))
        batch_op.drop_index(batch_op.f("ix_buildium_leases_property_id"))

    op.drop_table("buildium_leases")
    with op.batch_alter_table("buildium_lease_transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_buildium_lease_transactions_lease")

    op.drop_table("buildium_lease_transactions")
    with op.batch_alter_table("buildium_lease_tenants", schema=None) as batch_op:
        batch_op.drop_index("ix_buildium_lease_tenants_tenant")

    op.drop_table("buildium_lease_tenants")
    op.drop_table("buildium_gl_accounts")
