"""Saved scenarios and their immutable revisions (SQLModel over SQLite or PostgreSQL)."""
