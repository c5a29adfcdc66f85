"""What a write costs: ticket, mechanic and inventory writes through their services and through the
API, timed one by one on PostgreSQL + Redis. Written to measure what the audit trail adds to each
write (README, "What the audit trail costs"): run it on this code and on the commit before, with the
same arguments, and compare.

    .venv/bin/python bench/writes.py --database postgres://postgres@127.0.0.1:5432/ms_bench_writes \\
        --cache redis://127.0.0.1:6379/3 --runs 500

It drops and creates the database (it must be one of its own), migrates it, makes a customer, a
ticket, a mechanic and an item, then times each write `--runs` times after 50 unmeasured ones:
each in its own transaction (what a client waits for, commit included), then all in one
transaction (the statements alone: a commit's flush to disk, the same with or without the trail,
is most of a committed write here). It prints the median and mean per write of both and the
queries one committed write makes. Service calls skip HTTP; API calls go through Django's test
client (JWT authentication, the view, the service, the response). Keyword arguments a service does not
take (`by`, on the code before the audit trail) are left out, so the same script runs on both.
"""

import argparse
import inspect
import os
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
WARMUP = 50


def call(function, **kwargs):
    """The service called with the keyword arguments its signature takes."""
    accepted = inspect.signature(function).parameters
    return function(**{name: value for name, value in kwargs.items() if name in accepted})


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, dbname="postgres", autocommit=True
    ) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/ms_bench_writes")
    parser.add_argument("--cache", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--only", default="", help="measure only writes whose label contains this")
    args = parser.parse_args()

    recreate_database(args.database)
    os.environ.update(
        {
            "DATABASE_URL": args.database,
            "CACHE_URL": args.cache,
            "DEBUG": "false",
            "THROTTLING_ENABLED": "false",
            "SECRET_KEY": "benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "REQUEST_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "mechanic_shop.settings",
        }
    )
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import caches
    from django.core.management import call_command
    from django.db import connection, transaction
    from rest_framework.test import APIClient

    from accounts.tokens import tokens_for_staff
    from customers.models import Customer
    from inventory import services as inventory_services
    from inventory.models import Inventory
    from mechanics import services as mechanic_services
    from mechanics.models import Mechanic
    from tickets import services

    assert connection.vendor == "postgresql", "this benchmark is about PostgreSQL"
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    for alias in caches:
        caches[alias].clear()

    customer = Customer.objects.create(name="Bench", email="bench@example.com", phone="1", password="!")
    ticket = services.ticket_create(
        customer_id=customer.pk,
        vin="1HGCM82633A004352",
        service_date=date(2026, 11, 2),
        service_description="Brakes",
        by="bench",
    )
    mechanic = Mechanic.objects.create(name="Ada", email="ada@shop.example", phone="1", salary=Decimal(50000))
    item = Inventory.objects.create(name="Filter", price=Decimal("7.50"))
    staff, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_staff": True})
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_staff(staff).access_token}")
    t = ticket.pk

    def ticket_update(n):
        call(services.ticket_update, ticket_id=t, changes={"service_description": f"Brakes {n}"}, by="bench")

    def add_and_delete_line(n):
        line = call(
            services.add_line, ticket_id=t, kind="fee", description="Fee", quantity=1, unit_price=n % 50, by="bench"
        )
        call(services.delete_line, ticket_id=t, line_id=line.pk, by="bench")

    def assign_and_remove_mechanic(n):
        call(services.assign_mechanic, ticket_id=t, mechanic_id=mechanic.pk, by="bench")
        call(services.remove_mechanic, ticket_id=t, mechanic_id=mechanic.pk, by="bench")

    def mechanic_update(n):
        call(mechanic_services.mechanic_update, mechanic_id=mechanic.pk, changes={"phone": f"555-{n}"}, by="bench")

    def inventory_update(n):
        call(inventory_services.inventory_update, item_id=item.pk, changes={"price": Decimal(n % 90)}, by="bench")

    def api_patch_ticket(n):
        response = client.patch(f"/tickets/{t}", {"service_description": f"Brakes {n}"}, format="json")
        assert response.status_code == 200, response.content

    def api_line(n):
        body = {"kind": "fee", "description": "Fee", "quantity": 1, "unit_price": n % 50}
        response = client.post(f"/tickets/{t}/lines", body, format="json")
        assert response.status_code == 201, response.content
        assert client.delete(f"/tickets/{t}/lines/{response.json()['id']}").status_code == 204

    def audit_entry(n):
        record_change(record=ticket, by="bench", action="update", changes={"service_description": [f"{n}", "x"]})

    writes = [
        ("service: ticket_update", 1, ticket_update),
        ("service: add_line + delete_line", 2, add_and_delete_line),
        ("service: assign + remove mechanic", 2, assign_and_remove_mechanic),
        ("service: mechanic_update", 1, mechanic_update),
        ("service: inventory_update", 1, inventory_update),
        ("API: PATCH /tickets/<id>", 1, api_patch_ticket),
        ("API: POST + DELETE a ticket line", 2, api_line),
    ]
    try:
        from audit.services import record_change
    except ImportError:  # the code before the audit trail
        pass
    else:
        writes.append(("the audit entry alone: record_change", 1, audit_entry))
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        print(cursor.fetchone()[0].split(",")[0], "|", args.cache, "|", f"{args.runs} runs each", flush=True)
    print(
        f"{'write':<36} {'committed: median':>18} {'mean µs':>8} {'in one transaction: median':>27} "
        f"{'mean µs':>8} {'queries':>8}"
    )
    for label, count, write in writes:
        if args.only and args.only not in label:
            continue
        for n in range(WARMUP):
            write(n)
        statements = statements_of(connection, write)
        committed = timed(write, args.runs, count)
        with transaction.atomic():  # the statements alone: no commit per write
            batched = timed(write, args.runs, count)
        print(
            f"{label:<36} {statistics.median(committed):18.0f} {statistics.fmean(committed):8.0f} "
            f"{statistics.median(batched):27.0f} {statistics.fmean(batched):8.0f} {len(statements) / count:8.1f}",
            flush=True,
        )


def statements_of(connection, write) -> list[str]:
    """The SQL statements one call of `write` sends (with or without DEBUG's query log)."""
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        write(0)
    return statements


def timed(write, runs: int, count: int) -> list[float]:
    """Microseconds per write, each of `runs` calls of `write` (which makes `count` writes)."""
    times = []
    for n in range(runs):
        started = time.perf_counter()
        write(n)
        times.append((time.perf_counter() - started) / count * 1e6)
    return times


if __name__ == "__main__":
    main()
