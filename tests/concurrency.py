"""Service calls run at once in threads of one test process, each with its own database connection
(shared by several apps' test modules; not a test module itself)."""

import os
import threading

import pytest
from django.db import connection


def run_concurrently(*calls):
    """Run each call in its own thread and database connection, started together."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


needs_row_locks = pytest.mark.skipif(
    "sqlite" in os.environ.get("DATABASE_URL", "sqlite"),
    reason="SQLite's in-memory test database has no row locks to wait on; PostgreSQL and MariaDB do",
)
