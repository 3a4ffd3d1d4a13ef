"""What every instance must see alike: ended logins, and the judge's finished work on each part of
an interview (so the instance that resumes an interview redoes only what was not finished).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the revocation and partial-judgement tables."""
    op.create_table(
        "coach_revocations",
        sa.Column("identifier", sa.String(256), primary_key=True),
        sa.Column("revoked_before", sa.Float, nullable=False),
    )
    op.create_table(
        "coach_partial_judgements",
        sa.Column("transcript_id", sa.String(64), primary_key=True),
        sa.Column("part_key", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("coach_partial_judgements")
    op.drop_table("coach_revocations")
