"""The cost of a cached read's miss and hit, in process: GET /tickets/<id> (staff) and
GET /tickets/my-tickets (its customer), the ticket's version bumped before each read so that every
read is a miss; then the hits. Median of --runs reads, on a database bench/run.py seeded:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mechanic_bench CACHE_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python bench/misses.py --runs 150
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("REQUEST_LOG_LEVEL", "WARNING")
os.environ.setdefault("THROTTLING_ENABLED", "false")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=150)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from accounts.tokens import tokens_for_customer, tokens_for_staff
    from customers.models import Customer
    from tickets.models import Ticket
    from tickets.versions import bump_ticket

    staff = get_user_model().objects.filter(is_staff=True, is_active=True).order_by("id").first()
    ticket = Ticket.objects.order_by("id")[500]
    customer = Customer.objects.get(pk=ticket.customer_id)
    clients = {
        "staff": Client(HTTP_AUTHORIZATION=f"Bearer {tokens_for_staff(staff).access_token}", HTTP_HOST="127.0.0.1"),
        "customer": Client(
            HTTP_AUTHORIZATION=f"Bearer {tokens_for_customer(customer).access_token}", HTTP_HOST="127.0.0.1"
        ),
    }

    def median_ms(client: str, url: str, miss: bool) -> float:
        times = []
        for run in range(args.runs + 10):
            if miss:
                bump_ticket(ticket.pk)
            started = time.perf_counter()
            response = clients[client].get(url)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200 and response.has_header("Age") != miss, (url, response.status_code)
            if run >= 10:  # the first warm the connection and the cached account
                times.append(elapsed * 1000)
        return statistics.median(times)

    count = Ticket.objects.filter(customer_id=customer.pk).count()
    for label, client, url in [
        ("GET /tickets/<id>", "staff", f"/tickets/{ticket.pk}"),
        (f"GET /tickets/my-tickets ({count} tickets)", "customer", "/tickets/my-tickets"),
    ]:
        print(f"{label:40} miss {median_ms(client, url, True):7.2f} ms   hit {median_ms(client, url, False):6.2f} ms")


if __name__ == "__main__":
    main()
