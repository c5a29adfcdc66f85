"""What a write costs: ticket, mechanic and inventory writes through their services and through the
API, timed one by one on PostgreSQL + Redis. Written to measure what the audit trail adds to each
write (README, "What the audit trail costs"): run it on this code and on the commit before, with the
same arguments, and compare.

    .venv/bin/python bench/writes.py --database postgres://postgres@127.0.0.1:5432/ms_bench_writes \\
        --cache redis://127.0.0.1:6379/3 --runs 500

It drops and creates the database (it must be one of its own), migrates it, makes a customer, a
ticket, a mechanic and an item, then times each write `--runs` times after 50 unmeasured ones, each
in its own transaction (what a client waits for, commit included). Per write it prints the p10 and
median of the time it took, the mean CPU time it took this process (the app) and its PostgreSQL
backend (read from /proc: the database must run on this machine), and the SQL statements it sends.
CPU time is what a write costs whatever else the machine is doing; elapsed time here is mostly the
commit's flush to disk and waiting for a CPU. Service calls skip HTTP; API calls go through Django's
test client (JWT authentication, the view, the service, the response). Keyword arguments a service
does not take (`by`, on the code before the audit trail) are left out, so the same script runs on
both.

`--paired` (this code only) times each write with and without the audit trail in this process, in
pairs run back to back, and prints the median of the pairs' differences in elapsed time and the
difference in mean CPU time: on a machine whose load moves, far steadier measures of what the trail
adds than two runs minutes apart.
"""

import argparse
import importlib
import inspect
import statistics
import sys
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
from bench.django_start import recreate_database, start_django  # noqa: E402  (after the path)

WARMUP = 50
# The services that record audit entries (--paired turns them off in turn).
AUDITED_MODULES = (
    "tickets.services",
    "tickets.workflow",
    "customers.services",
    "mechanics.services",
    "inventory.services",
    "vehicles.services",
)


def call(function, **kwargs):
    """The service called with the keyword arguments its signature takes."""
    accepted = inspect.signature(function).parameters
    return function(**{name: value for name, value in kwargs.items() if name in accepted})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/ms_bench_writes")
    parser.add_argument("--cache", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--only", default="", help="measure only writes whose label contains this")
    parser.add_argument(
        "--paired",
        action="store_true",
        help="time each write with and without the audit trail, alternately, in this process",
    )
    args = parser.parse_args()

    recreate_database(args.database)
    start_django(
        database=args.database,
        cache=args.cache,
        CONN_MAX_AGE="3600",  # one backend for the whole run, whose CPU time is read
    )
    from django.contrib.auth import get_user_model
    from django.core.cache import caches
    from django.db import connection
    from rest_framework.test import APIClient

    from accounts.tokens import tokens_for_staff
    from customers.models import Customer
    from inventory import services as inventory_services
    from inventory.models import Inventory
    from mechanics import services as mechanic_services
    from mechanics.models import Mechanic
    from tickets import services

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
        record_change = None
    else:
        writes.append(("the audit entry alone: record_change", 1, audit_entry))
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        print(cursor.fetchone()[0].split(",")[0], "|", args.cache, "|", f"{args.runs} runs each", flush=True)
    paired = args.paired and record_change is not None
    if paired:
        print(
            f"{'write':<38} {'wall µs: with':>14} {'without':>8} {'added (IQR)':>20}"
            f" {'CPU µs: with':>13} {'without':>8} {'added':>6} {'statements':>11}"
        )
    else:
        print(
            f"{'write':<38} {'wall µs: p10':>13} {'median':>7} {'CPU µs: app':>12} {'database':>9} {'statements':>11}"
        )
    for label, count, write in writes:
        if args.only and args.only not in label or (paired and write is audit_entry):
            continue
        for n in range(WARMUP):
            write(n)
        statements = len(statements_of(connection, write)) / count
        if paired:
            with audit_off():
                statements_without = len(statements_of(connection, write)) / count
            on, off = timed_with_and_without_the_trail(connection, write, args.runs, count)
            added = sorted(a.wall - b.wall for a, b in zip(on, off, strict=True))
            quartiles = statistics.quantiles(added, n=4)
            cpu_on, cpu_off = (statistics.fmean(t.app + t.database for t in times) for times in (on, off))
            print(
                f"{label:<38} {statistics.median(t.wall for t in on):14.0f}"
                f" {statistics.median(t.wall for t in off):8.0f}"
                f" {statistics.median(added):6.0f} ({quartiles[0]:.0f}..{quartiles[2]:.0f})"
                f" {cpu_on:13.0f} {cpu_off:8.0f} {cpu_on - cpu_off:6.0f}"
                f" {statements_without:5.1f} → {statements:.1f}",
                flush=True,
            )
        else:
            times = [timed(connection, write, n, count) for n in range(args.runs)]
            walls = sorted(t.wall for t in times)
            print(
                f"{label:<38} {walls[len(walls) // 10]:13.0f} {statistics.median(walls):7.0f}"
                f" {statistics.fmean(t.app for t in times):12.0f} {statistics.fmean(t.database for t in times):9.0f}"
                f" {statements:11.1f}",
                flush=True,
            )


def statements_of(connection, write) -> list[str]:
    """The SQL statements one call of `write` sends (with or without DEBUG's query log)."""
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        write(10**6)
    return statements


@dataclass(frozen=True)
class Timing:
    """Microseconds per write: elapsed, and the CPU time of this process (the app: Django, the
    service, the client) and of its PostgreSQL backend, which the machine's load does not inflate."""

    wall: float
    app: float
    database: float


def backend_cpu_ns(connection) -> int:
    """CPU time of the PostgreSQL backend serving `connection` (same machine: /proc)."""
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def timed(connection, write, n: int, count: int) -> Timing:
    """One call of `write` (which makes `count` writes)."""
    database, app, wall = backend_cpu_ns(connection), time.process_time_ns(), time.perf_counter_ns()
    write(n)
    wall, app = time.perf_counter_ns() - wall, time.process_time_ns() - app
    database = backend_cpu_ns(connection) - database
    return Timing(wall / count / 1e3, app / count / 1e3, database / count / 1e3)


def timed_with_and_without_the_trail(connection, write, runs: int, count: int) -> tuple[list[Timing], list[Timing]]:
    """Each write with and without the audit trail, in pairs run back to back (which of the two
    goes first alternates), so both of a pair meet the same load on the machine."""
    on, off = [], []
    for n in range(runs):
        for audited in (True, False) if n % 2 else (False, True):
            with nullcontext() if audited else audit_off():
                # A value of its own for each write: every write changes something.
                (on if audited else off).append(timed(connection, write, 2 * n + audited, count))
    return on, off


@contextmanager
def audit_off():
    """The services as they were before the audit trail: no entry recorded (the snapshots and
    diffs they take for it, microseconds of Python, are still made)."""
    patched = []
    for name in AUDITED_MODULES:
        module = importlib.import_module(name)
        for attribute in ("record_change", "record_changes"):
            if hasattr(module, attribute):
                patched.append((module, attribute, getattr(module, attribute)))
                setattr(module, attribute, lambda **kwargs: None)
    try:
        yield
    finally:
        for module, attribute, original in patched:
            setattr(module, attribute, original)


if __name__ == "__main__":
    main()
