"""What the safe writes cost (README, "Safe retries and concurrent edits"): the Idempotency-Key
store per POST, the If-Match check per PATCH, and single reads with their ETag, on PostgreSQL +
Redis, through the API (Django's test client: JWT authentication, the view, the service, the
answer), in this process.

    .venv/bin/python bench/safe_writes.py --database postgres://postgres@127.0.0.1:5432/ms_bench_safe \\
        --cache redis://127.0.0.1:6379/3 --runs 300

It drops and creates the database (it must be one of its own), migrates it, makes a ticket, then
times each pair of requests — the plain one and the one with the header — back to back, in
alternating order, `--runs` times after 30 unmeasured pairs. Per pair it prints the median elapsed
time of each side, the median of the pairs' differences (with its interquartile range) and the
difference in mean CPU time of this process: on a shared machine whose load moves, far steadier
than two runs minutes apart. The database's own CPU time is not counted.

- POST /tickets/<id>/lines: without a key / with a new Idempotency-Key (claimed, then the answer
  stored in the line's transaction). Each line is deleted again, unmeasured.
- POST the same line with a key already used: the replay (no write), against a plain POST.
- PATCH /tickets/<id>: without / with the current ETag in If-Match (row lock, the ticket read and
  serialized under it).
- GET /tickets/<id>: with the ETag switched off / on (the hash of the answer), and a 200 against
  the 304 that If-None-Match with the current tag gets.
"""

import argparse
import statistics
import sys
import time
import uuid
from datetime import date
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
from bench.django_start import recreate_database, start_django  # noqa: E402  (after the path)

WARMUP = 30


def timed(request) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    request()
    return time.perf_counter() - wall, time.process_time() - cpu


def pair(label: str, plain, conditional, runs: int) -> None:
    """Time `plain` and `conditional` back to back, alternating which goes first."""
    for _ in range(WARMUP):
        plain(), conditional()
    walls: dict[str, list[float]] = {"plain": [], "with": []}
    cpus: dict[str, list[float]] = {"plain": [], "with": []}
    for n in range(runs):
        order = [("plain", plain), ("with", conditional)]
        for side, request in order if n % 2 == 0 else reversed(order):
            wall, cpu = timed(request)
            walls[side].append(wall)
            cpus[side].append(cpu)
    differences = sorted(w - p for w, p in zip(walls["with"], walls["plain"], strict=True))
    q1, median, q3 = statistics.quantiles(differences, n=4)
    cpu_plain, cpu_with = statistics.mean(cpus["plain"]) * 1e6, statistics.mean(cpus["with"]) * 1e6
    print(
        f"{label:<42} {statistics.median(walls['plain']) * 1e6:>8.0f} {statistics.median(walls['with']) * 1e6:>8.0f}"
        f" {median * 1e6:>+8.0f} ({q1 * 1e6:+.0f}..{q3 * 1e6:+.0f})"
        f" {cpu_plain:>8.0f} {cpu_with:>8.0f} {cpu_with - cpu_plain:>+7.0f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/ms_bench_safe")
    parser.add_argument("--cache", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()

    recreate_database(args.database)
    start_django(
        database=args.database,
        cache=args.cache,
        CONN_MAX_AGE="3600",
        CELERY_BROKER_URL="memory://",  # events are recorded; no worker is needed to time writes
    )
    from django.contrib.auth import get_user_model
    from django.core.cache import caches
    from django.db import connection
    from rest_framework.test import APIClient

    from accounts.tokens import tokens_for_staff
    from core import conditional
    from customers.models import Customer
    from tickets import services
    from tickets.models import TicketLine

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
    for n in range(5):  # a ticket with a few lines, as tickets have
        services.add_line(ticket_id=ticket.pk, kind="fee", description=f"Fee {n}", quantity=1, unit_price=10, by="b")
    kept_lines = set(TicketLine.objects.values_list("pk", flat=True))
    staff, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_staff": True})
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_staff(staff).access_token}")
    url = f"/tickets/{ticket.pk}"
    line = {"kind": "fee", "description": "Fee", "quantity": 1, "unit_price": 5}

    def post_line(headers=None):
        response = client.post(f"{url}/lines", line, format="json", headers=headers or {})
        assert response.status_code == 201, response.content

    def without_key():
        post_line()

    def with_key():
        post_line({"Idempotency-Key": uuid.uuid4().hex})

    replayed = {"Idempotency-Key": "bench-replayed"}
    post_line(replayed)

    def replay():
        post_line(replayed)

    state = {"etag": client.get(url)["ETag"], "n": 0}

    def patch(headers=None):
        state["n"] += 1
        response = client.patch(url, {"service_description": f"Brakes {state['n']}"}, format="json", headers=headers)
        assert response.status_code == 200, response.content
        state["etag"] = response["ETag"]

    def patch_if_match():
        patch({"If-Match": state["etag"]})

    def get(headers=None, expected=200):
        response = client.get(url, headers=headers or {})
        assert response.status_code == expected, response.status_code

    def get_without_etag():
        actions = conditional.ETAG_ACTIONS
        conditional.ETAG_ACTIONS = frozenset()
        try:
            get()
        finally:
            conditional.ETAG_ACTIONS = actions

    def get_304():
        get({"If-None-Match": state["etag"]}, expected=304)

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        print(cursor.fetchone()[0].split(",")[0], "|", args.cache, "|", f"{args.runs} pairs each", flush=True)
    print(
        f"{'pair (plain / with)':<42} {'wall µs':>8} {'with':>8} {'added (IQR)':>22}"
        f" {'CPU µs':>8} {'with':>8} {'added':>7}"
    )
    pair("POST line: no key / new Idempotency-Key", without_key, with_key, args.runs)
    TicketLine.objects.exclude(pk__in=kept_lines).delete()
    pair("POST line: no key / replayed key", without_key, replay, args.runs)
    TicketLine.objects.exclude(pk__in=kept_lines).delete()
    patch()
    pair("PATCH ticket: no If-Match / If-Match", patch, patch_if_match, args.runs)
    pair("GET ticket: no ETag / ETag", get_without_etag, get, args.runs)
    pair("GET ticket: 200 / 304 (If-None-Match)", get, get_304, args.runs)


if __name__ == "__main__":
    main()
