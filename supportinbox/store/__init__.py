"""The local SQLite cache: one database file per account."""

from supportinbox.store.db import Database, open_database

__all__ = ["Database", "open_database"]
