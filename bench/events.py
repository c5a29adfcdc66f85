"""Benchmark of the outbox and the webhooks: PostgreSQL, a Redis broker, 2 Celery workers and a
local receiver.

    .venv/bin/python bench/events.py
    .venv/bin/python bench/events.py --database postgres://postgres@127.0.0.1:5432/mechanic_bench_events \\
        --events 2000 --writers 4 --workers 2 --concurrency 2

It migrates the database (created if missing, emptied of events), starts a redis-server of its own
as the broker (or uses --broker), two workers (`celery -A mechanic_shop worker`) and beat, and in
this process a webhook receiver on 127.0.0.1 and the writers, which change tickets through
tickets.services.ticket_update (a ticket.updated event each). It prints
- the cost of a write with and without its event (the same ticket_update, one writer, events
  recorded or not, no worker running yet), the difference being what the outbox adds: rendering
  the ticket, the INSERT, the on-commit task sent to Redis;
- the latency from a change's commit to the receiver having its webhook (p50, p99, max), with
  changes at a steady rate (--rate) the workers keep up with;
- events per second from commit to receipt for a burst from every writer at once (--events), and
  that burst's latencies, which are mostly time spent waiting in the queue.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from unittest import mock

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
WORK = PROJECT / "var" / "bench-events"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def start_redis() -> tuple[subprocess.Popen, str]:
    from tests.live import free_port, wait_for

    executable = shutil.which("redis-server") or sys.exit("redis-server is not installed (or pass --broker)")
    port = free_port()
    process = subprocess.Popen(
        [
            executable,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(WORK),
        ],
        stdout=(WORK / "redis.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    import redis

    def answers() -> bool:
        try:
            return bool(redis.Redis(port=port, socket_connect_timeout=0.5).ping())
        except redis.exceptions.ConnectionError:
            return False

    if not wait_for(answers, 10):
        sys.exit("redis-server did not start")
    return process, f"redis://127.0.0.1:{port}/0"


def settings_env(args, broker: str, queue: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "mechanic_shop.settings",
        "SECRET_KEY": "benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DEBUG": "false",
        "DATABASE_URL": args.database,
        "CELERY_BROKER_URL": broker,
        "CELERY_QUEUE": queue,
        "CELERY_BEAT_SCHEDULE_FILENAME": str(WORK / "celerybeat"),
        "WEBHOOK_ALLOW_HTTP": "true",
        "WEBHOOK_ALLOW_PRIVATE": "true",
        "WEBHOOK_RESOLVER": "webhooks.addresses.offline_resolver",
        "LOG_LEVEL": "WARNING",
        "CACHE_DIR": str(WORK / "cache"),
    }


def timed_updates(ticket_id: int, count: int, label: str) -> list[float]:
    """Seconds per ticket_update, each its own transaction, one after the other."""
    from tickets import services

    seconds = []
    for n in range(count):
        started = time.perf_counter()
        services.ticket_update(ticket_id=ticket_id, changes={"service_description": f"{label} {n}"})
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/mechanic_shop_bench_events")
    parser.add_argument("--broker", help="a redis:// or amqp:// URL (default: a redis-server of the bench's own)")
    parser.add_argument("--events", type=int, default=2000, help="changes (events) in the burst")
    parser.add_argument("--paced", type=int, default=300, help="changes in the latency run")
    parser.add_argument("--rate", type=float, default=10, help="changes per second in the latency run")
    parser.add_argument("--writers", type=int, default=4, help="threads making changes at once")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=2, help="pool processes per worker")
    parser.add_argument("--writes", type=int, default=500, help="writes timed with and without their event")
    args = parser.parse_args()
    if not re.match(r"postgres(ql)?://", args.database):
        sys.exit("this benchmark is for PostgreSQL (--database postgres://...)")

    WORK.mkdir(parents=True, exist_ok=True)
    from bench.django_start import start_workers, stop_processes
    from bench.run import ensure_database

    ensure_database(args.database)
    processes: list[subprocess.Popen] = []
    broker = args.broker
    if broker is None:
        redis_process, broker = start_redis()
        processes.append(redis_process)
    queue = f"bench-events-{uuid.uuid4().hex[:8]}"
    env = settings_env(args, broker, queue)
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=PROJECT, check=True)

    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from customers.models import Customer
    from events.models import Event
    from tickets import services as ticket_services
    from webhooks import services as webhook_services
    from webhooks.models import Subscription
    from webhooks.tests.receiver import Receiver

    Event.objects.all().delete()
    Subscription.objects.all().delete()
    customer = Customer.objects.filter(email="bench-events@example.com").first() or Customer.objects.create(
        name="Bench", email="bench-events@example.com", phone="1"
    )
    tickets = [
        ticket_services.ticket_create(
            customer_id=customer.pk,
            vin="1HGCM82633A004352",
            service_date=timezone.now().date(),
            service_description="bench",
        ).pk
        for _ in range(max(args.writers, 1))
    ]

    # 1. What the event adds to a write, before any worker runs (their work would share the
    # machine's cores with the writes): rendering the ticket, the INSERT, the task sent on commit.
    timed_updates(tickets[0], 50, "warm-up")
    with mock.patch.object(ticket_services.events, "ticket_changed"):
        without = timed_updates(tickets[0], args.writes, "without")
    with_event = timed_updates(tickets[0], args.writes, "with")

    worker_env = {**os.environ, **env}
    try:
        processes += start_workers(count=args.workers, concurrency=args.concurrency, queue=queue, env=env, logs=WORK)
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "mechanic_shop", "beat", "--loglevel", "WARNING"],
                cwd=PROJECT, env=worker_env, stdout=(WORK / "beat.log").open("wb"), stderr=subprocess.STDOUT,
            )
        )  # fmt: skip
        time.sleep(5)  # the workers connect

        # 2. Commit to receipt, every writer at once (once the events above are dispatched, so that
        # none of them is owed to the receiver).
        from tests.live import wait_for

        if not wait_for(lambda: not Event.objects.filter(dispatched_at__isnull=True).exists(), 120, interval=0.5):
            sys.exit(f"the workers did not dispatch the events; see {WORK}/*.log")
        with Receiver() as receiver:
            webhook_services.subscription_create(url=receiver.url, events=["ticket.updated"])
            committed: dict[str, float] = {}

            def change(ticket_id: int, label: str) -> None:
                with transaction.atomic():
                    # Registered first, so it runs first when the transaction commits.
                    transaction.on_commit(lambda: committed.__setitem__(label, time.time()))
                    ticket_services.ticket_update(ticket_id=ticket_id, changes={"service_description": label})

            def arrived(labels: list[str]) -> dict[str, float]:
                """Receipt times of the webhooks of these changes, once all are in."""
                wanted = set(labels)
                if not receiver.wait_for(
                    lambda rs: (
                        len(wanted & {json.loads(r.body)["data"]["service_description"] for r in rs}) == len(wanted)
                    ),
                    timeout=900,
                ):
                    sys.exit(f"not every webhook arrived; see {WORK}/*.log")
                times = {json.loads(r.body)["data"]["service_description"]: r.at for r in receiver.requests}
                return {label: times[label] for label in labels}

            # 2a. Latency: changes at a steady rate the workers keep up with.
            paced = [f"paced {n}" for n in range(args.paced)]
            begin = time.monotonic()
            for n, label in enumerate(paced):
                time.sleep(max(0.0, begin + n / args.rate - time.monotonic()))
                change(tickets[0], label)
            received = arrived(paced)
            latencies = [received[label] - committed[label] for label in paced]

            # 2b. Throughput: a burst from every writer at once, commit of the first to receipt of the last.
            per_writer = args.events // len(tickets)
            burst = [[f"burst {w}-{n}" for n in range(per_writer)] for w in range(len(tickets))]

            def write(ticket_id: int, labels: list[str]) -> None:
                for label in labels:
                    change(ticket_id, label)

            threads = [
                threading.Thread(target=write, args=(t, labels)) for t, labels in zip(tickets, burst, strict=True)
            ]
            started = time.time()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            all_labels = [label for labels in burst for label in labels]
            received = arrived(all_labels)
            total = len(all_labels)
            span = max(received.values()) - started
            burst_latencies = [received[label] - committed[label] for label in all_labels]
    finally:
        stop_processes(processes)

    ms = 1000
    print(f"PostgreSQL, broker {broker.split('://')[0]}, {args.workers} workers x {args.concurrency} processes")
    print("cost of a write (ticket_update, one writer, its own transaction):")
    print(
        f"  without its event  p50 {statistics.median(without) * ms:.2f} ms  "
        f"p99 {percentile(without, 0.99) * ms:.2f} ms"
    )
    print(
        f"  with its event     p50 {statistics.median(with_event) * ms:.2f} ms  "
        f"p99 {percentile(with_event, 0.99) * ms:.2f} ms"
    )
    print(f"  added by the event p50 {(statistics.median(with_event) - statistics.median(without)) * ms:.2f} ms")
    print(f"commit to receipt, {args.paced} changes at {args.rate:g}/s:")
    print(
        f"  latency p50 {statistics.median(latencies) * ms:.0f} ms  p99 {percentile(latencies, 0.99) * ms:.0f} ms  "
        f"max {max(latencies) * ms:.0f} ms"
    )
    print(f"commit to receipt, a burst of {total} changes from {len(tickets)} writers at once:")
    print(f"  {total / span:.0f} events/s (first commit to last receipt: {span:.1f} s)")
    print(
        f"  latency p50 {statistics.median(burst_latencies) * ms:.0f} ms  "
        f"p99 {percentile(burst_latencies, 0.99) * ms:.0f} ms (waiting in the queue behind the burst)"
    )


if __name__ == "__main__":
    main()
