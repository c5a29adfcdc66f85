"""Filtered, searched and ordered ticket lists on PostgreSQL with a million tickets.

    .venv/bin/python bench/filters.py --database postgres://postgres@127.0.0.1:5432/h4
    .venv/bin/python bench/filters.py --database ... --tickets 1000000 --runs 50 --explain

It migrates the database, loads the tickets with set-based SQL (INSERT ... SELECT generate_series: about
a minute for a million, done once; `--reload` redoes it), then sends each request through Django's test
client (the whole stack: JWT authentication, the filter backends, pagination, serialization) on one
connection, with the cached list made stale before each request so every one reaches the database. It
prints p50/p95 per request and the queries one request makes; `--explain` adds EXPLAIN (ANALYZE,
BUFFERS) of each query of the ticket filters.

The data: 20,000 customers, 100,000 vehicles (each with ten tickets), 50 mechanics (one per ticket), a
million tickets over ten years, 85% closed and the rest spread over the other statuses as a working
shop's are, each ticket's description one of a few hundred distinct texts.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
from bench.django_start import start_django  # noqa: E402  (after the path)
from bench.loading import reload_tables, vacuum_analyze  # noqa: E402

CUSTOMERS, VEHICLES, MECHANICS = 20_000, 100_000, 50

LOAD = [
    # Customers, vehicles and mechanics, then the tickets: every value derived from the row number,
    # so a reload gives the same data.
    """INSERT INTO customers_customer (id, name, email, phone, password)
       SELECT i, 'Customer ' || i, 'customer' || i || '@example.com', '555-' || lpad(i::text, 6, '0'), '!'
       FROM generate_series(1, {customers}) AS i""",
    """INSERT INTO vehicles_vehicle (id, customer_id, vin, year, make, model, license_plate)
       SELECT i, 1 + (i * 7919) % {customers}, upper(substr(md5('vin' || i), 1, 17)), 1990 + i % 35,
              (ARRAY['Honda', 'Toyota', 'Ford', 'Chevrolet', 'BMW', 'Subaru'])[1 + i % 6],
              (ARRAY['Civic', 'Corolla', 'F-150', 'Malibu', '320i', 'Outback', 'Accord'])[1 + i % 7],
              'P' || lpad(i::text, 7, '0')
       FROM generate_series(1, {vehicles}) AS i""",
    """INSERT INTO mechanics_mechanic (id, name, email, phone, salary, ticket_count)
       SELECT i, 'Mechanic ' || i, 'mechanic' || i || '@example.com', '555-0000', 50000, 0
       FROM generate_series(1, {mechanics}) AS i""",
    # The status count triggers would update a count row per ticket (and TRUNCATE bypasses them):
    # off for the load, and the counts recounted once after (recount_ticket_statuses).
    "ALTER TABLE tickets_ticket DISABLE TRIGGER USER",
    # Ticket i belongs to vehicle 1 + (i * 31) % vehicles, and to that vehicle's customer.
    """INSERT INTO tickets_ticket (id, vin, service_date, service_description, customer_id, status, vehicle_id)
       SELECT i, v.vin, DATE '2016-01-01' + (i::bigint * 3653 / {tickets})::int,
              (ARRAY['Oil change', 'Brake pads', 'Timing belt', 'Tyre rotation', 'Coolant flush',
                     'Battery', 'Alignment', 'Inspection', 'Spark plugs', 'Transmission service'])[1 + i % 10]
              || ' #' || (i % 37),
              v.customer_id,
              CASE WHEN i % 100 < 1 THEN 'estimate' WHEN i % 100 < 3 THEN 'approved'
                   WHEN i % 100 < 7 THEN 'in_progress' WHEN i % 100 < 10 THEN 'completed'
                   WHEN i % 100 < 12 THEN 'invoiced' WHEN i % 100 < 15 THEN 'cancelled' ELSE 'closed' END,
              v.id
       FROM generate_series(1, {tickets}) AS i
       JOIN vehicles_vehicle v ON v.id = 1 + (i * 31) % {vehicles}""",
    "ALTER TABLE tickets_ticket ENABLE TRIGGER USER",
    # The count triggers would update a mechanic row per ticket; they are off for the load and the
    # counts set once after.
    "ALTER TABLE tickets_ticketmechanic DISABLE TRIGGER USER",
    """INSERT INTO tickets_ticketmechanic (ticket_id, mechanic_id)
       SELECT i, 1 + i % {mechanics} FROM generate_series(1, {tickets}) AS i""",
    "ALTER TABLE tickets_ticketmechanic ENABLE TRIGGER USER",
    """UPDATE mechanics_mechanic m SET ticket_count =
       (SELECT count(*) FROM tickets_ticketmechanic t WHERE t.mechanic_id = m.id)""",
    *(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        for table in ("customers_customer", "vehicles_vehicle", "mechanics_mechanic", "tickets_ticket")
    ),
]

TABLES = [
    "tickets_ticketmechanic",
    "tickets_statuschange",
    "tickets_ticket",
    "vehicles_vehicle",
    "mechanics_mechanic",
    "customers_customer",
]


def requests_to_measure(tickets: int) -> list[tuple[str, str]]:
    page = "page=1&per_page=20"
    vin = f"upper(substr(md5('vin' || {1 + (500 * 31) % VEHICLES}), 1, 17))"
    return [
        ("no filter", f"/tickets?{page}"),
        ("customer_id", f"/tickets?customer_id=4242&{page}"),
        ("vehicle_id", f"/tickets?vehicle_id=4242&{page}"),
        ("vin (lower-case input)", f"/tickets?vin={{vin_lower}}&{page}"),
        ("status=in_progress (4%)", f"/tickets?status=in_progress&{page}"),
        ("status=closed (85%)", f"/tickets?status=closed&{page}"),
        ("status=closed, ordering=-id", f"/tickets?status=closed&ordering=-id&{page}"),
        (
            "service_date_after, ordering=-service_date",
            f"/tickets?service_date_after=2025-06-01&ordering=-service_date&{page}",
        ),
        (
            "service_date range (1 month)",
            f"/tickets?service_date_after=2020-03-01&service_date_before=2020-03-31&{page}",
        ),
        ("mechanic_id", f"/tickets?mechanic_id=7&{page}"),
        ("status + customer_id", f"/tickets?status=closed&customer_id=4242&{page}"),
        ("search: rare word (a VIN fragment)", f"/tickets?search={{vin_fragment}}&{page}"),
        ("search: common word", f"/tickets?search=brake&{page}"),
        ("search: no match", f"/tickets?search=zzzqqq&{page}"),
        ("ordering=status", f"/tickets?ordering=status&{page}"),
    ], vin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/h4")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--reload", action="store_true", help="empty the shop's tables and load them again")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of the ticket queries")
    parser.add_argument("--only", default="", help="measure only requests whose label contains this")
    args = parser.parse_args()

    start_django(database=args.database, cache="locmemcache://filters-bench")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from accounts.tokens import tokens_for_staff
    from core.caching import bump
    from tickets.models import Ticket

    with connection.cursor() as cursor:
        if args.reload or Ticket.objects.count() != args.tickets:
            sizes = {"customers": CUSTOMERS, "vehicles": VEHICLES, "mechanics": MECHANICS, "tickets": args.tickets}
            reload_tables(cursor, tables=TABLES, statements=LOAD, sizes=sizes)
        vacuum_analyze(connection, cursor, TABLES)
        cursor.execute("SELECT version()")
        print(cursor.fetchone()[0])
        cursor.execute(f"SELECT {requests_to_measure(args.tickets)[1]}")
        vin = cursor.fetchone()[0]

    from django.contrib.auth import get_user_model

    staff, _ = get_user_model().objects.get_or_create(username="filters-bench", defaults={"is_staff": True})
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_staff(staff).access_token}")

    print(f"\n{args.tickets:,} tickets, {args.runs} runs each, cached list made stale before every request\n")
    print(f"{'request':<45} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'total':>9}  path")
    explains = []
    for label, path in requests_to_measure(args.tickets)[0]:
        if args.only and args.only not in label:
            continue
        path = path.format(vin_lower=vin.lower(), vin_fragment=vin[3:9])
        times = []
        for run in range(args.runs + 3):
            bump("tickets")
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (path, response.status_code, response.content[:300])
            assert not response.has_header("Age"), "measured a cached response"
            if run >= 3:  # the first runs warm the connection, the account cache and prepared statements
                times.append(elapsed)
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(
            f"{label:<45} {statistics.median(times):8.1f} {p95:8.1f} {len(queries):8d} "
            f"{response['X-Total-Count']:>9}  {path}",
            flush=True,
        )
        explains.append((label, path, [q["sql"] for q in queries.captured_queries]))

    if args.explain:
        with connection.cursor() as cursor:
            for label, path, sqls in explains:
                print(f"\n=== {label}: GET {path}")
                for sql in sqls:
                    if "tickets_ticket" not in sql or "token" in sql or "auth_user" in sql:
                        continue
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                    print(f"\n{sql}\n" + "\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
