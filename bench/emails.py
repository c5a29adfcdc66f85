"""Benchmark of the customers' emails and the approval page: PostgreSQL, a Redis broker, 2 Celery
workers.

    .venv/bin/python bench/emails.py --database postgres://postgres@127.0.0.1:5432/ms_h11 \\
        --broker redis://127.0.0.1:6379/11 --port 7150

1. Commit to email: tickets are completed (tickets.workflow.transition to `completed`) at a
   steady rate (--rate) by this process; each commit owes a "vehicle ready" email through the
   events outbox. Measured: from the transition's commit (an on-commit hook registered first) to
   the worker handing the email to the email backend (bench.emails.TimingBackend notes the time
   in Redis). The path: the commit sends events.tasks.dispatch; a worker dispatches the event,
   which owes the email (an Email row) in the dispatch's transaction, whose commit sends
   notifications.tasks.send; a worker renders the email and hands it to the backend.
2. GET /estimates/<token>: gunicorn (--gunicorn-workers, production settings) and wrk for a few
   seconds, next to GET /tickets/<id> of the same ticket and GET /healthz on the same server.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
WORK = PROJECT / "var" / "bench-emails"
HANDED = "bench-emails:handed"


class TimingBackend(BaseEmailBackend):
    """Notes in Redis (BENCH_EMAIL_REDIS) when each email was handed over, and sends nothing."""

    def send_messages(self, messages) -> int:
        import redis

        at = time.time()
        client = redis.Redis.from_url(os.environ["BENCH_EMAIL_REDIS"])
        for message in messages:
            client.rpush(HANDED, json.dumps({"subject": message.subject, "at": at}))
        return len(messages)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def port_in(first: int) -> int:
    """The first free port from `first` on (this machine's helpers each have a range)."""
    for port in range(first, first + 100):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    sys.exit(f"no free port in {first}..{first + 99}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/mechanic_shop_bench_emails")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/0", help="a redis:// URL")
    parser.add_argument("--transitions", type=int, default=200, help="tickets completed in the latency run")
    parser.add_argument("--rate", type=float, default=10, help="transitions per second")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes (one pool process each)")
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=int, default=5, help="seconds of wrk per URL")
    parser.add_argument("--port", type=int, default=7150, help="the first port to try for gunicorn")
    args = parser.parse_args()

    WORK.mkdir(parents=True, exist_ok=True)
    from bench import run
    from bench.django_start import start_workers, stop_processes

    run.ensure_database(args.database)
    queue = f"bench-emails-{uuid.uuid4().hex[:8]}"
    env = {
        "DJANGO_SETTINGS_MODULE": "bench.email_settings",
        "SECRET_KEY": "benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "THROTTLING_ENABLED": "false",
        "REQUEST_LOG_LEVEL": "WARNING",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": args.database,
        "CELERY_BROKER_URL": args.broker,
        "CELERY_QUEUE": queue,
        "CELERY_BEAT_SCHEDULE_FILENAME": str(WORK / "celerybeat"),
        "CACHE_DIR": str(WORK / "cache"),
        "CACHE_KEY_PREFIX": "bench-emails",
        "BENCH_EMAIL_REDIS": args.broker,
    }
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=PROJECT, check=True)

    import django

    django.setup()
    import redis
    from django.db import transaction
    from django.utils import timezone

    from customers.models import Customer
    from events.models import Event
    from notifications import services as notifications
    from tests.live import wait_for
    from tickets import services as ticket_services
    from tickets import workflow

    handed = redis.Redis.from_url(args.broker)
    handed.delete(HANDED)
    Event.objects.all().delete()  # left by an earlier run, with no worker to dispatch them now
    customer = Customer.objects.filter(email="bench-emails@example.com").first() or Customer.objects.create(
        name="Bench", email="bench-emails@example.com", phone="1"
    )

    def new_ticket() -> int:
        ticket = ticket_services.ticket_create(
            customer_id=customer.pk,
            vin="1HGCM82633A004352",
            service_date=timezone.now().date(),
            service_description="bench",
        )
        ticket_services.add_line(ticket_id=ticket.pk, kind="labor", description="Work", quantity=1, unit_price=100)
        return ticket.pk

    # Tickets in progress, their events dispatched before the run (those moves owe no email).
    tickets = []
    for _ in range(args.transitions):
        ticket_id = new_ticket()
        for status in ("approved", "in_progress"):
            workflow.transition(ticket_id=ticket_id, to=status, by="bench")
        tickets.append(ticket_id)

    processes = start_workers(count=args.workers, concurrency=1, queue=queue, env=env, logs=WORK)
    try:
        if not wait_for(lambda: not Event.objects.filter(dispatched_at__isnull=True).exists(), 300, interval=0.5):
            sys.exit(f"the workers did not dispatch the events; see {WORK}/*.log")

        # 1. Commit to email handed to the backend.
        committed: dict[int, float] = {}
        begin = time.monotonic()
        for n, ticket_id in enumerate(tickets):
            time.sleep(max(0.0, begin + n / args.rate - time.monotonic()))
            with transaction.atomic():
                transaction.on_commit(lambda t=ticket_id: committed.__setitem__(t, time.time()))
                workflow.transition(ticket_id=ticket_id, to="completed", by="bench")
        if not wait_for(lambda: handed.llen(HANDED) >= len(tickets), 300, interval=0.2):
            sys.exit(f"only {handed.llen(HANDED)} of {len(tickets)} emails arrived; see {WORK}/*.log")
        at = {}
        for raw in handed.lrange(HANDED, 0, -1):
            entry = json.loads(raw)
            ticket_id = int(entry["subject"].rsplit("ticket ", 1)[1].rstrip(")"))
            at[ticket_id] = entry["at"]
        latencies = [at[t] - committed[t] for t in tickets]
    finally:
        stop_processes(processes)

    # 2. The approval page.
    with transaction.atomic():
        link = notifications.send_estimate(ticket_id=new_ticket(), by="bench")
    path = notifications.estimate_url(link).removeprefix(django.conf.settings.PUBLIC_BASE_URL)
    from django.contrib.auth import get_user_model

    from accounts.tokens import tokens_for_staff

    staff = get_user_model().objects.filter(username="bench-emails").first()
    staff = staff or get_user_model().objects.create_user("bench-emails", password=uuid.uuid4().hex, is_staff=True)
    token = str(tokens_for_staff(staff).access_token)
    run.free_port = lambda: port_in(args.port)
    server = run.Server("mechanic_shop.wsgi:application", {**os.environ, **env}, args.gunicorn_workers)
    try:
        results = []
        # The same ticket's GET /tickets/<id> (staff), which reads it with the same four queries.
        for name, url, bearer in (
            ("GET /estimates/<token>", path, None),
            ("GET /tickets/<id>", f"/tickets/{link.ticket_id}", token),
            ("GET /healthz", "/healthz", None),
        ):
            run.wrk(server.base + url, args, bearer, duration=2)  # warm-up
            results.append((name, run.wrk(server.base + url, args, bearer)))
    finally:
        server.stop()

    ms = 1000
    print(f"PostgreSQL, Redis broker, {args.workers} workers x 1 process; the machine's 2 cores shared with others")
    print(f"commit to email handed to the backend, {len(tickets)} tickets completed at {args.rate:g}/s:")
    print(
        f"  p50 {statistics.median(latencies) * ms:.0f} ms  p99 {percentile(latencies, 0.99) * ms:.0f} ms  "
        f"max {max(latencies) * ms:.0f} ms"
    )
    print(f"gunicorn {args.gunicorn_workers} workers, wrk {args.connections} connections, {args.duration} s:")
    for name, result in results:
        print(
            f"  {name:24} {result['rps']:7.0f} req/s  p50 {result['p50']:.1f} ms  p99 {result['p99']:.1f} ms  "
            f"errors {result['errors']}"
        )


if __name__ == "__main__":
    main()
