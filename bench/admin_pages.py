"""The admin's pages at a million tickets on PostgreSQL: the ticket list, a ticket's page, the dashboard.

    .venv/bin/python bench/admin_pages.py --database postgres://postgres@127.0.0.1:5432/ms_h13_bench
    .venv/bin/python bench/admin_pages.py --database ... --runs 20 --explain

It migrates the database and loads, with set-based SQL (bench/reports.py's million tickets with their
invoices, labor lines and payments; a few minutes, done once; `--reload` redoes it), 500 inventory items
(some at or below their reorder point), a parts line on every other ticket, a labor line on every open
ticket not yet invoiced, and the approved total of the approved, in-progress and completed tickets (one in
ten below the ticket's total: waiting for the customer's approval). Then it asks for each page through
Django's test client as a signed-in superuser (the whole stack: sessions, the admin's views, templates)
on one connection, and prints p50/p95 per page, the queries one page makes and its size. The data's
invoices end in January 2026, so "today" is moved to 2026-01-15 for the dashboard: its last 30 days
and its receivables then hold what a working shop's would.
"""

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.django_start import start_django  # noqa: E402  (after the path)
from bench.loading import reload_tables, vacuum_analyze  # noqa: E402
from bench.reports import LOAD as REPORTS_LOAD  # noqa: E402  (after the path)
from bench.reports import TABLES as REPORTS_TABLES  # noqa: E402

ITEMS = 500
TODAY = date(2026, 1, 15)

LOAD = [
    *REPORTS_LOAD,
    """INSERT INTO inventory_inventory (id, name, price, quantity_on_hand, reorder_point)
       SELECT i, 'Part ' || i, 5 + (i % 200) + 0.49,
              CASE WHEN i % 10 = 0 THEN NULL ELSE (i * 13) % 60 END, 5 + i % 10
       FROM generate_series(1, {items}) AS i""",
    "SELECT setval(pg_get_serial_sequence('inventory_inventory', 'id'), {items})",
    """INSERT INTO tickets_ticketinventory (ticket_id, inventory_id, quantity, unit_price)
       SELECT t.id, 1 + t.id % {items}, 1 + t.id % 3, 5 + ((1 + t.id % {items}) % 200) + 0.49
       FROM tickets_ticket t WHERE t.id % 2 = 0""",
    """INSERT INTO tickets_ticketline (ticket_id, kind, description, quantity, unit_price, mechanic_id)
       SELECT id, 'labor', 'Labor', 0.5 + (id % 8) * 0.25, 95.00, 1 + id % {mechanics}
       FROM tickets_ticket WHERE status IN ('estimate', 'approved', 'in_progress', 'completed')""",
    # The approved total as the workflow records it (the total when approved), one in ten lower.
    "ALTER TABLE tickets_ticket DISABLE TRIGGER USER",
    """UPDATE tickets_ticket t SET approved_total = s.subtotal + round(s.subtotal * 0.0825, 2)
                                                     - CASE WHEN t.id / 100 % 10 = 0 THEN 25 ELSE 0 END
       FROM (SELECT t2.id, coalesce((SELECT sum(round(p.quantity * p.unit_price, 2)) FROM tickets_ticketinventory p
                                     WHERE p.ticket_id = t2.id), 0)
                         + coalesce((SELECT sum(round(l.quantity * l.unit_price, 2)) FROM tickets_ticketline l
                                     WHERE l.ticket_id = t2.id), 0) AS subtotal
             FROM tickets_ticket t2 WHERE t2.status IN ('approved', 'in_progress', 'completed')) s
       WHERE s.id = t.id""",
    "ALTER TABLE tickets_ticket ENABLE TRIGGER USER",
    # A shop finishes (or drops) its work within weeks: tickets not invoiced by 60 days before the
    # bench's today are cancelled, leaving the last weeks' estimates and work in hand open.
    """UPDATE tickets_ticket SET status = 'cancelled'
       WHERE status IN ('estimate', 'approved', 'in_progress', 'completed') AND service_date < DATE '{stale_before}'""",
]
TABLES = ["tickets_ticketinventory", "inventory_stockmovement", "inventory_inventory", *REPORTS_TABLES]


def timed(call, runs: int) -> tuple[float, float, object]:
    times = []
    for run in range(runs + 2):
        started = time.perf_counter()
        result = call()
        if run >= 2:  # the first runs warm the connection, the session and the templates
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], result


def pages_to_measure(*, open_ticket: int, invoiced_ticket: int, customer: int, vehicle: int) -> list[tuple[str, str]]:
    tickets = "/admin/tickets/ticket/"
    return [
        ("dashboard (admin index)", "/admin/"),
        ("ticket list (open, the default)", tickets),
        ("ticket list, all", f"{tickets}?state=all"),
        ("ticket list, in_progress", f"{tickets}?state=all&status__exact=in_progress"),
        ("ticket list, search a VIN", f"{tickets}?state=all&q={{vin}}"),
        ("ticket list, search a plate", f"{tickets}?state=all&q=P0004242"),
        ("ticket list, search a name", f"{tickets}?state=all&q=Customer+4242"),
        ("ticket page, open ticket", f"{tickets}{open_ticket}/change/"),
        ("ticket page, invoiced ticket", f"{tickets}{invoiced_ticket}/change/"),
        ("customer page", f"/admin/customers/customer/{customer}/change/"),
        ("vehicle page (service history)", f"/admin/vehicles/vehicle/{vehicle}/change/"),
        ("inventory list", "/admin/inventory/inventory/"),
        ("inventory list, low stock", "/admin/inventory/inventory/?stock=low"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/ms_h13_bench")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reload", action="store_true", help="empty the shop's tables and load them again")
    parser.add_argument("--load-only", action="store_true", help="load the data and stop")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of the queries")
    parser.add_argument("--only", default="", help="measure only pages whose label contains this")
    args = parser.parse_args()

    start_django(database=args.database, cache="locmemcache://admin-bench", TIME_ZONE="America/Chicago")
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from reports import selectors as report_selectors
    from tickets.models import Ticket, TicketInventory

    with connection.cursor() as cursor:
        loaded = (
            TicketInventory.objects.exists() and Ticket.objects.filter(pk__lte=args.tickets).count() == args.tickets
        )
        if args.reload or not loaded:
            sizes = {"customers": 20_000, "vehicles": 100_000, "mechanics": 50, "tickets": args.tickets, "items": ITEMS}
            sizes["stale_before"] = TODAY - timedelta(days=60)
            reload_tables(cursor, tables=TABLES, statements=LOAD, sizes=sizes)
        vacuum_analyze(connection, cursor, TABLES)
        cursor.execute("SELECT version()")
        print(cursor.fetchone()[0])
        counts = {}
        for table in ("tickets_ticket", "tickets_invoice", "tickets_payment", "tickets_ticketline", *TABLES[:1]):
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
        print(", ".join(f"{table.split('_', 1)[1]}: {count:,}" for table, count in counts.items()))
    if args.load_only:
        return

    # The data's last invoices are from January 2026: the dashboard's "today" is moved there.
    report_selectors.shop_today = lambda: TODAY

    user, _ = get_user_model().objects.get_or_create(
        username="admin-bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    open_ticket = Ticket.objects.filter(status="in_progress", part_lines__isnull=False).order_by("-id").first()
    invoiced_ticket = Ticket.objects.filter(status="invoiced").order_by("-id").first()
    vin = Ticket.objects.filter(pk=500).values_list("vin", flat=True).get()
    pages = pages_to_measure(
        open_ticket=open_ticket.pk, invoiced_ticket=invoiced_ticket.pk, customer=4242, vehicle=4242
    )

    print(f"\nshop time zone {settings.TIME_ZONE}, today {TODAY}, {args.runs} runs each\n")
    print(f"{'page':<34} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'KiB':>6}  path")
    explains = []
    for label, path in pages:
        if args.only not in label:
            continue
        path = path.format(vin=vin)

        def request(path=path):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            assert response.status_code == 200, (path, response.status_code, response.content[:300])
            return response, queries

        p50, p95, (response, queries) = timed(request, args.runs)
        size = len(response.content) / 1024
        print(f"{label:<34} {p50:8.1f} {p95:8.1f} {len(queries):8d} {size:6.0f}  {path}", flush=True)
        explains.append((label, [q["sql"] for q in queries.captured_queries]))

    print("\nthe dashboard's selectors (no HTTP)\n")
    from inventory import selectors as inventory_selectors
    from tickets import selectors as ticket_selectors

    for label, call in [
        ("status counts", ticket_selectors.status_counts),
        ("today's board", lambda: ticket_selectors.day_board(day=TODAY)),
        ("waiting for approval (count + 8)", lambda: ticket_selectors.waiting_for_approval_list(limit=8)),
        ("ready for pickup (8)", lambda: ticket_selectors.ready_for_pickup_list(limit=8)),
        (
            "low stock (count + 8)",
            lambda: (inventory_selectors.low_stock_count(), inventory_selectors.low_stock_items(limit=8)),
        ),
        ("receivables by age", report_selectors.receivables_by_age),
        (
            "revenue per day, 30 days",
            lambda: report_selectors.revenue_per_day(first=TODAY - timedelta(days=29), last=TODAY),
        ),
        ("the whole dashboard", report_selectors.dashboard),
    ]:
        if args.only not in label and args.only not in "dashboard":
            continue
        p50, p95, _result = timed(call, args.runs)
        print(f"{label:<34} {p50:8.1f} {p95:8.1f}", flush=True)

    if args.explain:
        with connection.cursor() as cursor:
            for label, sqls in explains:
                for sql in sqls:
                    if "django_session" in sql or "auth_user" in sql:
                        continue
                    print(f"\n=== {label}\n{sql}")
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                    print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
