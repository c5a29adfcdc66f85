from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core import demo
from customers.models import Customer


class Command(BaseCommand):
    help = "Load demo data (customers, mechanics, parts, tickets) and a demo staff login."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=demo.SeedSizes.customers)
        parser.add_argument("--mechanics", type=int, default=demo.SeedSizes.mechanics)
        parser.add_argument("--tickets", type=int, default=demo.SeedSizes.tickets)
        parser.add_argument("--parts", type=int, default=demo.SeedSizes.parts)
        parser.add_argument("--seed", type=int, default=42, help="Same seed, same data.")
        parser.add_argument("--flush", action="store_true", help="Delete all shop data first.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when there are customers already.")
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args, **options):
        sizes = demo.SeedSizes(options["customers"], options["mechanics"], options["tickets"], options["parts"])
        if min(sizes.customers, sizes.mechanics, sizes.tickets, sizes.parts) < 0:
            raise CommandError("Sizes cannot be negative.")
        if sizes.tickets and not sizes.customers:
            raise CommandError("Tickets need at least one customer (--customers).")
        if demo.ensure_demo_staff():
            self.stdout.write(f"Created the demo staff login: {demo.DEMO_STAFF_USERNAME} / {demo.DEMO_STAFF_PASSWORD}")
        if options["if_empty"] and Customer.objects.exists():
            self.stdout.write("The database already holds shop data; nothing seeded (drop --if-empty to add more).")
        else:
            if options["flush"]:
                demo.flush_shop_data()
            with tqdm(total=sizes.tickets, unit="ticket", disable=sizes.tickets < 10_000 or options["verbosity"] == 0) as bar:
                counts = demo.seed_shop(sizes, options["seed"], options["batch_size"], progress=bar.update)
            self.stdout.write(self.style.SUCCESS("Seeded: " + ", ".join(f"{n} {what}" for what, n in counts.items())))
        first = Customer.objects.order_by("id").first()
        self.stdout.write(f"Staff login:    POST /auth/login      {{\"username\": \"{demo.DEMO_STAFF_USERNAME}\", \"password\": \"{demo.DEMO_STAFF_PASSWORD}\"}}")
        if first is not None:
            self.stdout.write(f"Customer login: POST /customers/login {{\"email\": \"{first.email}\", \"password\": \"{demo.DEMO_CUSTOMER_PASSWORD}\"}}")
