"""The largest values the database's columns hold, so that an input beyond them is refused as
invalid (400) instead of failing in the database driver (500)."""

MAX_ID = 2**63 - 1  # id and foreign key columns (64-bit signed)
MAX_INT = 2**31 - 1  # IntegerField columns (32-bit signed on PostgreSQL and MariaDB)
