"""Persistence: one async SQLAlchemy code path for SQLite and PostgreSQL."""
