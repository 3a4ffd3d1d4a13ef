"""Chainlit's chat-history tables, in the interviews' database (so every instance sees one history).

Chainlit's SQLAlchemy data layer creates no tables of its own. Created only where absent, so a
database that already holds them (set up by hand from Chainlit's documentation) is left as it is.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQL = Path(__file__).resolve().parents[2] / "sql"
TABLES = ("feedbacks", "elements", "steps", "threads", "users")


def upgrade() -> None:
    """Create Chainlit's tables in this database's dialect (PostgreSQL: arrays and JSONB)."""
    bind = op.get_bind()
    name = "chainlit_postgresql.sql" if bind.dialect.name == "postgresql" else "chainlit_sqlite.sql"
    script = (SQL / name).read_text(encoding="utf-8")
    body = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("--"))
    for statement in filter(None, (s.strip() for s in body.split(";"))):
        op.execute(sa.text(statement))


def downgrade() -> None:
    """Drop them (children first)."""
    for table in TABLES:
        op.execute(sa.text(f'DROP TABLE IF EXISTS "{table}"'))
