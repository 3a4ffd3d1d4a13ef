"""Accounts of a cohort (argon2id password hashes, role, cohort) and failed logins.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the account and login-failure tables."""
    op.create_table(
        "coach_users",
        sa.Column("identifier", sa.String(256), primary_key=True),
        sa.Column("password_hash", sa.String(512), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("cohort", sa.String(128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_coach_users_cohort", "coach_users", ["cohort"])
    op.create_table(
        "coach_login_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("identifier", sa.String(256), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_coach_login_failures_identifier", "coach_login_failures", ["identifier"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_coach_login_failures_identifier", "coach_login_failures")
    op.drop_table("coach_login_failures")
    op.drop_index("ix_coach_users_cohort", "coach_users")
    op.drop_table("coach_users")
