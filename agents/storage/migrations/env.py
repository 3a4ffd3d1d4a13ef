"""Alembic's entry point for the coach's tables: run with the connection `upgrade` hands over."""

from __future__ import annotations

from alembic import context

from agents.storage.sql_store import VERSION_TABLE, metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
