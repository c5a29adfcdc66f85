"""Loading the benchmarks' data with set-based SQL, after bench.django_start.start_django."""

import time


def reload_tables(cursor, *, tables: list[str], statements: list[str], sizes: dict) -> None:
    """Empty `tables` and run the loading `statements` (formatted with `sizes`, whose "tickets"
    is the ticket count), then recount the tickets' status counts the loading bypassed."""
    from tickets.services import recount_ticket_statuses

    started = time.perf_counter()
    cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    for sql in statements:
        cursor.execute(sql.format(**sizes))
    recount_ticket_statuses()
    print(f"loaded {sizes['tickets']:,} tickets in {time.perf_counter() - started:.1f}s", flush=True)


def vacuum_analyze(connection, cursor, tables: list[str]) -> None:
    """VACUUM ANALYZE `tables` (outside a transaction): fresh statistics and the visibility map
    index-only scans need, as autovacuum gives tables that have settled."""
    connection.set_autocommit(True)
    cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")
