"""The reports at a million tickets on PostgreSQL: the sales report for one month, and the others.

    .venv/bin/python bench/reports.py --database postgres://postgres@127.0.0.1:5432/ms_h5_bench
    .venv/bin/python bench/reports.py --database ... --runs 50 --explain

It migrates the database and loads, with set-based SQL (bench/filters.py's million tickets, then one
statement per table; a few minutes, done once; `--reload` redoes it), an invoice for every invoiced or
closed ticket (87% of them, issued the day after the service date, at a time of day that varies), one
labor line per invoiced ticket (one of 50 mechanics), and the payments: closed tickets paid in full, the
still-invoiced ones in part, some by card, some in cash. Then it sends each report request through
Django's test client (the whole stack: JWT authentication, validation, the query, serialization, JSON or
CSV) on one connection, and prints p50/p95 per request, the queries one request makes and the rows it
answers; `--explain` adds EXPLAIN (ANALYZE, BUFFERS) of each report's queries. The shop's time zone is
America/Chicago, so every day and month is grouped by local midnights.
"""

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.django_start import start_django  # noqa: E402  (after the path)
from bench.filters import CUSTOMERS, MECHANICS, VEHICLES  # noqa: E402  (after the path)
from bench.filters import LOAD as TICKET_LOAD  # noqa: E402
from bench.filters import TABLES as TICKET_TABLES  # noqa: E402
from bench.loading import reload_tables, vacuum_analyze  # noqa: E402

LOAD = [
    *TICKET_LOAD,
    # Frozen figures as the workflow writes them: each amount in cents, tax at 8.25% rounded half-up.
    """INSERT INTO tickets_invoice (id, ticket_id, issued_at, tax_rate, parts, labor, fees, subtotal, tax, total)
       SELECT t.id, t.id,
              ((t.service_date + 1)::timestamp + make_interval(mins => (420 + (t.id * 37) % 720)::int))
                  AT TIME ZONE 'America/Chicago',
              0.0825, f.parts, f.labor, f.fees, f.subtotal, round(f.subtotal * 0.0825, 2),
              f.subtotal + round(f.subtotal * 0.0825, 2)
       FROM tickets_ticket t
       CROSS JOIN LATERAL (
           SELECT (t.id % 400) + 0.99 AS parts, round((0.5 + (t.id % 8) * 0.25) * 95.00, 2) AS labor,
                  4.75 AS fees,
                  (t.id % 400) + 0.99 + round((0.5 + (t.id % 8) * 0.25) * 95.00, 2) + 4.75 AS subtotal
       ) f
       WHERE t.status IN ('invoiced', 'closed')""",
    """INSERT INTO tickets_ticketline (ticket_id, kind, description, quantity, unit_price, mechanic_id)
       SELECT ticket_id, 'labor', 'Labor', 0.5 + (ticket_id % 8) * 0.25, 95.00, 1 + ticket_id % {mechanics}
       FROM tickets_invoice""",
    """INSERT INTO tickets_payment (ticket_id, amount, method, reference, at, "by")
       SELECT i.ticket_id,
              CASE WHEN t.status = 'closed' THEN i.total ELSE round(i.total / 2, 2) END,
              CASE WHEN i.ticket_id % 3 = 0 THEN 'cash' ELSE 'card' END, '',
              i.issued_at + make_interval(hours => (i.ticket_id % 72)::int), 'bench'
       FROM tickets_invoice i JOIN tickets_ticket t ON t.id = i.ticket_id""",
    "SELECT setval(pg_get_serial_sequence('tickets_invoice', 'id'), (SELECT max(id) FROM tickets_invoice))",
]
TABLES = ["tickets_payment", "tickets_ticketline", "tickets_invoice", *TICKET_TABLES]


def requests_to_measure() -> list[tuple[str, str]]:
    month = "from=2024-03-01&to=2024-03-31"
    return [
        ("sales, one month, per day", f"/reports/sales?{month}"),
        ("sales, one month, per day, CSV", f"/reports/sales?{month}&format=csv"),
        ("sales, one month, per month", f"/reports/sales?{month}&group=month"),
        ("sales, one year, per month", "/reports/sales?from=2024-01-01&to=2024-12-31&group=month"),
        ("sales, ten years, per month", "/reports/sales?from=2016-01-01&to=2026-12-31&group=month"),
        ("payments, one month", f"/reports/payments?{month}"),
        ("mechanics, one month", f"/reports/mechanics?{month}"),
        ("receivables, all", "/reports/receivables"),
        ("receivables, one month", f"/reports/receivables?{month}"),
    ]


def timed(call, runs: int) -> tuple[float, float, list]:
    times = []
    for run in range(runs + 3):
        started = time.perf_counter()
        result = call()
        if run >= 3:  # the first runs warm the connection, the account cache and prepared statements
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/ms_h5_bench")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--reload", action="store_true", help="empty the shop's tables and load them again")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of the queries")
    args = parser.parse_args()

    start_django(database=args.database, cache="locmemcache://reports-bench", TIME_ZONE="America/Chicago")
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from accounts.tokens import tokens_for_staff
    from reports import selectors
    from tickets.models import Invoice, Ticket

    with connection.cursor() as cursor:
        # (The 60-line ticket measured below comes after the loaded ones.)
        loaded = Ticket.objects.filter(pk__lte=args.tickets).count() == args.tickets and Invoice.objects.exists()
        if args.reload or not loaded:
            sizes = {"customers": CUSTOMERS, "vehicles": VEHICLES, "mechanics": MECHANICS, "tickets": args.tickets}
            reload_tables(cursor, tables=TABLES, statements=LOAD, sizes=sizes)
        vacuum_analyze(connection, cursor, TABLES)
        cursor.execute("SELECT version()")
        print(cursor.fetchone()[0])
        counts = {}
        for table in ("tickets_ticket", "tickets_invoice", "tickets_payment", "tickets_ticketline"):
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
        print(", ".join(f"{table.split('_', 1)[1]}s: {count:,}" for table, count in counts.items()))

    staff, _ = get_user_model().objects.get_or_create(username="reports-bench", defaults={"is_staff": True})
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_staff(staff).access_token}")

    print(f"\nshop time zone {settings.TIME_ZONE}, {args.runs} runs each\n")
    print(f"{'request':<36} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'rows':>7}  path")
    explains = []
    for label, path in requests_to_measure():

        def request(path=path):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            assert response.status_code == 200, (path, response.status_code, response.content[:300])
            return response, queries

        p50, p95, (response, queries) = timed(request, args.runs)
        rows = response.content.count(b"\n") - 1 if "csv" in path else len(response.json())
        print(f"{label:<36} {p50:8.1f} {p95:8.1f} {len(queries):8d} {rows:7d}  {path}", flush=True)
        explains.append((label, [q["sql"] for q in queries.captured_queries if "auth_user" not in q["sql"]]))

    print("\ndocuments (WeasyPrint)\n")
    invoiced = Ticket.objects.filter(status="invoiced").order_by("id").values_list("id", flat=True).first()
    long_ticket = _ticket_with_lines(staff, lines=60)
    for label, path in [
        ("estimate.pdf, 1 line", f"/tickets/{invoiced}/estimate.pdf"),
        ("invoice.pdf, 1 line, 1 payment", f"/tickets/{invoiced}/invoice.pdf"),
        ("estimate.pdf, 60 lines (2 pages)", f"/tickets/{long_ticket}/estimate.pdf"),
    ]:

        def request(path=path):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code, response.content[:300])
            return response

        p50, p95, response = timed(request, args.runs)
        print(f"{label:<36} {p50:8.1f} {p95:8.1f} {len(response.content):>8,} bytes  {path}", flush=True)

    print("\nthe dashboard's selectors (no HTTP)\n")
    for label, call in [
        ("revenue per day, 30 days", lambda: selectors.revenue_per_day(first=date(2024, 3, 1), last=date(2024, 3, 30))),
        ("receivables by age", selectors.receivables_by_age),
    ]:
        p50, p95, _result = timed(call, args.runs)
        print(f"{label:<36} {p50:8.1f} {p95:8.1f}")

    if args.explain:
        with connection.cursor() as cursor:
            for label, sqls in explains:
                for sql in sqls:
                    print(f"\n=== {label}\n{sql}")
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                    print("\n".join(row[0] for row in cursor.fetchall()))


def _ticket_with_lines(staff, *, lines: int) -> int:
    """A ticket of the first customer with `lines` labor lines (made once, then found again)."""
    from tickets import services
    from tickets.models import Ticket, TicketLine

    description = f"Benchmark: {lines} lines"
    ticket = Ticket.objects.filter(service_description=description).first()
    if ticket is None:
        ticket = services.ticket_create(
            customer_id=1, vin="1HGCM82633A004352", service_date=date(2024, 3, 1), service_description=description
        )
        TicketLine.objects.bulk_create(
            TicketLine(ticket=ticket, kind="labor", description=f"Step {n}", quantity=1, unit_price=95)
            for n in range(lines)
        )
    return ticket.pk


if __name__ == "__main__":
    main()
