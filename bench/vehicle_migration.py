"""Time the vehicles data migration (vehicles 0002: a vehicle for every valid VIN of existing
tickets, those tickets linked to it) on a large PostgreSQL database.

    .venv/bin/python bench/vehicle_migration.py                              # 1,000,000 tickets
    .venv/bin/python bench/vehicle_migration.py --tickets 100000 --database postgres://postgres@127.0.0.1:5432/h2

It migrates the database back to vehicles 0001 (the schema before the data step), replaces its
customers and tickets with generated ones (set-based INSERT ... SELECT generate_series: one
customer per five tickets, most tickets with their customer's valid VIN, some with the VIN of a
car that changed hands, a VIN with a wrong check digit or a short legacy VIN), then times
`migrate vehicles 0002` and the history index after it (tickets 0005), and checks the result.
The database is emptied: point it at a database of its own.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.run import ensure_database  # noqa: E402

ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def valid_vins(count: int, seed: int) -> list[str]:
    from vehicles.vin import check_digit

    rng, vins = random.Random(seed), set()
    while len(vins) < count:
        body = "".join(rng.choice(ALPHABET) for _ in range(17))
        vins.add(body[:8] + check_digit(body) + body[9:])
    return sorted(vins)


def seed(*, tickets: int, customers: int) -> None:
    from django.db import connection

    vins = valid_vins(customers + 1, seed=1)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE customers_customer, tickets_ticket, vehicles_vehicle RESTART IDENTITY CASCADE")
        cursor.execute(
            """INSERT INTO customers_customer (name, email, phone, password)
               SELECT 'Customer ' || g, 'customer' || g || '@example.com', '555-' || g, '!'
               FROM generate_series(1, %s) AS g""",
            [customers],
        )
        # Car n belongs to customer n (ids start at 1 after RESTART IDENTITY).
        cursor.execute("CREATE TEMPORARY TABLE bench_car (n integer PRIMARY KEY, vin varchar(17))")
        with cursor.copy("COPY bench_car (n, vin) FROM STDIN") as copy:
            for n, vin in enumerate(vins, start=1):
                copy.write_row((n, vin))
        # Ticket g is visit v of customer c; its kind k spreads over visits, so that 16 in 20
        # carry c's own car's VIN, 1 the next customer's car (a car that changed hands), 1 a VIN
        # with a wrong check digit, 2 a short legacy VIN.
        cursor.execute(
            """INSERT INTO tickets_ticket (vin, service_date, service_description, customer_id, status)
               SELECT CASE
                        WHEN k < 16 THEN own.vin
                        WHEN k = 16 THEN next.vin
                        WHEN k = 17 THEN overlay(own.vin PLACING
                            (CASE WHEN substr(own.vin, 9, 1) = '0' THEN '1' ELSE '0' END) FROM 9 FOR 1)
                        ELSE 'LEGACY' || (g %% 100000)
                      END,
                      DATE '2015-01-01' + (g %% 3650),
                      'Service ' || g,
                      c,
                      'in_progress'
               FROM (SELECT g, c, (c + 7 * (g / %s)) %% 20 AS k
                     FROM (SELECT g, (g %% %s) + 1 AS c FROM generate_series(1, %s) AS g) AS s) AS t
               JOIN bench_car AS own ON own.n = t.c
               JOIN bench_car AS next ON next.n = t.c + 1""",
            [customers, customers, tickets],
        )
        cursor.execute("DROP TABLE bench_car")
        cursor.execute("ANALYZE customers_customer")
        cursor.execute("ANALYZE tickets_ticket")


def timed_migrate(app: str, target: str) -> float:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", app, target, verbosity=0)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/h2")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=None, help="default: one per five tickets")
    args = parser.parse_args()
    if not args.database.startswith(("postgres://", "postgresql://")):
        sys.exit("the generator is PostgreSQL SQL: give a postgres:// database")
    customers = args.customers or max(1, args.tickets // 5)

    os.environ.update(
        DATABASE_URL=args.database,
        DEBUG="false",
        SECRET_KEY="benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        DJANGO_SETTINGS_MODULE="mechanic_shop.settings",
    )
    ensure_database(args.database)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("migrate", "vehicles", "0001", verbosity=0)  # before the data step (and what needs it)

    started = time.perf_counter()
    seed(tickets=args.tickets, customers=customers)
    print(
        f"seeded {args.tickets:,} tickets of {customers:,} customers in {time.perf_counter() - started:.1f} s",
        flush=True,
    )

    data_step = timed_migrate("vehicles", "0002")
    print(f"migrate vehicles 0002 (vehicles from valid VINs, tickets linked): {data_step:.1f} s", flush=True)
    index_step = timed_migrate("tickets", "0005")
    print(f"migrate tickets 0005 (history index): {index_step:.1f} s", flush=True)
    call_command("migrate", verbosity=0)

    from django.db.models import F

    from tickets.models import Ticket
    from vehicles.models import Vehicle

    vehicles, linked = Vehicle.objects.count(), Ticket.objects.filter(vehicle__isnull=False).count()
    mismatched = Ticket.objects.filter(vehicle__isnull=False).exclude(vin=F("vehicle__vin")).count()
    foreign = Ticket.objects.filter(vehicle__isnull=False).exclude(customer_id=F("vehicle__customer_id")).count()
    print(
        f"{vehicles:,} vehicles, {linked:,} of {args.tickets:,} tickets linked; "
        f"linked tickets with another VIN: {mismatched}, of another customer: {foreign}"
    )
    if mismatched or foreign:
        sys.exit("the migration linked tickets wrongly")


if __name__ == "__main__":
    main()
