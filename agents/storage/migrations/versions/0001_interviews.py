"""Interviews and their feedback.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the interview and feedback tables."""
    op.create_table(
        "coach_interviews",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(256), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_coach_interviews_owner", "coach_interviews", ["owner"])
    op.create_index("ix_coach_interviews_updated_at", "coach_interviews", ["updated_at"])
    op.create_table(
        "coach_feedback",
        sa.Column("transcript_id", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("coach_feedback")
    op.drop_index("ix_coach_interviews_updated_at", "coach_interviews")
    op.drop_index("ix_coach_interviews_owner", "coach_interviews")
    op.drop_table("coach_interviews")
