"""The admin's ticket page on PostgreSQL with a million tickets.

    .venv/bin/python bench/admin_ticket_page.py --database postgres://postgres@127.0.0.1:5432/h10

It loads bench/filters.py's million tickets (the same set-based SQL, done once), gives a few tickets
parts, labor lines, payments and history through the services, then opens each ticket's change page
through Django's test client as a signed-in superuser (the whole admin stack: session, permissions,
the form, the inlines, the panel) and prints p50/p95 and the queries one page makes.
"""

import argparse
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.django_start import start_django  # noqa: E402  (after the path)
from bench.filters import CUSTOMERS, LOAD, MECHANICS, TABLES, VEHICLES  # noqa: E402
from bench.loading import reload_tables, vacuum_analyze  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/h10")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    start_django(database=args.database, cache="locmemcache://admin-ticket-page-bench")
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from inventory.models import Inventory
    from tickets import services, workflow
    from tickets.models import Ticket

    with connection.cursor() as cursor:
        if Ticket.objects.count() != args.tickets:
            sizes = {"customers": CUSTOMERS, "vehicles": VEHICLES, "mechanics": MECHANICS, "tickets": args.tickets}
            reload_tables(cursor, tables=TABLES, statements=LOAD, sizes=sizes)
        vacuum_analyze(connection, cursor, TABLES)

    # Tickets in the middle of the table: an estimate with nothing on it, and an estimate taken
    # through the day with parts, labor, history and payments.
    bare, full = (
        Ticket.objects.filter(status="estimate", id__gt=args.tickets // 2)
        .order_by("id")
        .values_list("id", flat=True)[:2]
    )
    if not Ticket.objects.get(pk=full).part_lines.exists():
        items = [
            Inventory.objects.get_or_create(name=f"Bench part {n}", defaults={"price": Decimal("12.50")})[0]
            for n in range(10)
        ]
        services.add_parts(ticket_id=full, quantities={item.pk: 2 for item in items}, by="bench")
        for n in range(10):
            services.add_line(
                ticket_id=full, kind="labor", description=f"Job {n}", quantity=1, unit_price=90, mechanic_id=1 + n
            )
        for to in ("approved", "in_progress", "completed", "invoiced"):
            workflow.transition(ticket_id=full, to=to, by="bench")
        for _ in range(5):
            services.add_payment(ticket_id=full, amount=Decimal("10.00"), method="card", by="bench")

    user, _ = get_user_model().objects.get_or_create(
        username="admin-page-bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    print(f"\n{args.tickets:,} tickets, {args.runs} runs each\n")
    print(f"{'page':<60} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for label, ticket_id in (
        ("an estimate with nothing on it", bare),
        ("invoiced: 10 parts, 10 labor lines, 5 payments, 5 moves", full),
    ):
        path = f"/admin/tickets/ticket/{ticket_id}/change/"
        times = []
        for run in range(args.runs + 3):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (path, response.status_code)
            if run >= 3:  # the first runs warm the connection and the template cache
                times.append(elapsed)
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(f"{label:<60} {statistics.median(times):8.1f} {p95:8.1f} {len(queries):8d}", flush=True)


if __name__ == "__main__":
    main()
