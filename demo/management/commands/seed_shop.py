import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from customers.models import Customer
from demo import data


class Command(BaseCommand):
    help = (
        "Load demo data (customers, their vehicles, mechanics, counted parts, tickets in every status with "
        "labor, invoices and payments). With DEBUG on, or with "
        "--demo-accounts, also a staff login and passwords the demo customers can sign in with."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=data.SeedSizes.customers)
        parser.add_argument("--mechanics", type=int, default=data.SeedSizes.mechanics)
        parser.add_argument("--tickets", type=int, default=data.SeedSizes.tickets)
        parser.add_argument("--parts", type=int, default=data.SeedSizes.parts)
        parser.add_argument("--seed", type=int, default=42, help="Same seed, same data.")
        parser.add_argument("--flush", action="store_true", help="Delete all shop data first.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when there are customers already.")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument(
            "--demo-accounts",
            action="store_true",
            help="Create the demo logins even with DEBUG off (with generated passwords, printed once).",
        )

    def handle(self, *args, **options):
        sizes = data.SeedSizes(options["customers"], options["mechanics"], options["tickets"], options["parts"])
        if min(sizes.customers, sizes.mechanics, sizes.tickets, sizes.parts) < 0:
            raise CommandError("Sizes cannot be negative.")
        if sizes.tickets and not sizes.customers:
            raise CommandError("Tickets need at least one customer (--customers).")
        # Known passwords only on a development machine; anywhere else they are generated.
        demo_accounts = settings.DEBUG or options["demo_accounts"]
        staff_password = data.DEVELOPMENT_STAFF_PASSWORD if settings.DEBUG else secrets.token_urlsafe(12)
        customer_password = data.DEVELOPMENT_CUSTOMER_PASSWORD if settings.DEBUG else secrets.token_urlsafe(12)

        staff_created = demo_accounts and data.ensure_demo_staff(password=staff_password)
        if options["if_empty"] and Customer.objects.exists():
            self.stdout.write("The database already holds shop data; nothing seeded (drop --if-empty to add more).")
            seeded_customer = None
        else:
            if options["flush"]:
                data.flush_shop_data()
            last_id_before = Customer.objects.order_by("-id").values_list("id", flat=True).first() or 0
            with tqdm(
                total=sizes.tickets, unit="ticket", disable=sizes.tickets < 10_000 or options["verbosity"] == 0
            ) as bar:
                counts = data.seed_shop(
                    sizes=sizes,
                    seed=options["seed"],
                    customer_password=customer_password,
                    batch_size=options["batch_size"],
                    progress=bar.update,
                )
            self.stdout.write(
                self.style.SUCCESS(
                    "Seeded: " + ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in counts.items())
                )
            )
            seeded_customer = Customer.objects.filter(id__gt=last_id_before).order_by("id").first()
        if not demo_accounts:
            return
        # Generated passwords are shown once, when they are set; the known development ones
        # whenever the account still has them (an earlier run may have created it otherwise).
        if staff_created or (settings.DEBUG and data.demo_staff_has_password(staff_password)):
            self.stdout.write(
                f"Staff login:    POST /auth/login      "
                f'{{"username": "{data.DEMO_STAFF_USERNAME}", "password": "{staff_password}"}}'
            )
        customer = seeded_customer
        if customer is None and settings.DEBUG:  # nothing seeded now: a demo customer of an earlier run
            first = Customer.objects.order_by("id").first()
            customer = first if first is not None and check_password(customer_password, first.password) else None
        if customer is not None:
            self.stdout.write(
                f"Customer login: POST /customers/login "
                f'{{"email": "{customer.email}", "password": "{customer_password}"}}'
                " (every demo customer has this password)"
            )
