"""Demo data for the shop: realistic, reproducible, and fast to insert in bulk."""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.db import connection, models, transaction
from django.db.models.functions import Lower
from faker import Faker

from core.caching import bump
from customers.models import Customer
from inventory.models import Inventory
from mechanics.models import Mechanic
from tickets.models import Ticket, TicketInventory, TicketMechanic

DEMO_STAFF_USERNAME = "admin"
# Known passwords, for a development machine only (DEBUG on): see the seed_shop command.
DEVELOPMENT_STAFF_PASSWORD = "shop-admin-demo"
DEVELOPMENT_CUSTOMER_PASSWORD = "demo-customer-pass"

VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_VIN_VALUES = {**{str(d): d for d in range(10)}, **dict(zip("ABCDEFGH", range(1, 9))),
               **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9, **dict(zip("STUVWXYZ", range(2, 10)))}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)

PART_NAMES = [
    "Brake pad set", "Brake rotor", "Oil filter", "Air filter", "Cabin air filter", "Spark plug",
    "Wiper blade", "Timing belt", "Serpentine belt", "Water pump", "Alternator", "Starter motor",
    "Battery", "Headlight bulb", "Tail light bulb", "Fuel filter", "Radiator hose", "Thermostat",
    "Shock absorber", "Strut assembly", "Tie rod end", "Ball joint", "Wheel bearing", "CV axle",
    "Clutch kit", "Engine oil 5W-30 (1 qt)", "Coolant (1 gal)", "Transmission fluid (1 qt)",
    "Brake fluid DOT 4", "Oxygen sensor", "Ignition coil", "Drive belt tensioner", "Exhaust gasket",
    "Muffler", "Catalytic converter", "Cabin blower motor", "Door lock actuator", "Tire 205/55R16",
]
PART_VARIANTS = ["front", "rear", "OEM", "economy", "premium", "heavy duty", "left", "right", "ceramic", "standard"]
SERVICES = [
    "Oil and filter change", "Brake pads replaced, rotors resurfaced", "Tire rotation and balance",
    "Diagnosed check-engine light", "Replaced timing belt and water pump", "Battery test and replacement",
    "Coolant flush", "Transmission service", "Wheel alignment", "A/C recharge", "Replaced alternator",
    "Suspension inspection, replaced struts", "Pre-purchase inspection", "Replaced spark plugs and coils",
    "Exhaust leak repaired", "Annual safety inspection",
]


def vin_check_digit(vin_without_check: str) -> str:
    """The ISO 3779 / North American check digit for position 9."""
    total = sum(_VIN_VALUES[char] * weight for char, weight in zip(vin_without_check, _VIN_WEIGHTS))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def random_vin(rng: random.Random) -> str:
    chars = [rng.choice(VIN_ALPHABET) for _ in range(17)]
    chars[9] = rng.choice("ABCDEFGHJKLMNPRSTVWXY123456789")  # model year code
    chars[8] = "0"
    chars[8] = vin_check_digit("".join(chars))
    return "".join(chars)


@dataclass(frozen=True)
class SeedSizes:
    customers: int = 50
    mechanics: int = 10
    tickets: int = 200
    parts: int = 40


def _batches(total: int, size: int) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(start + size, total))


def flush_shop_data() -> None:
    """Delete the shop's data. Tickets and their lines go with one DELETE per table: their only
    signal receivers invalidate cached reads (done once below), and loading a million tickets to
    signal each one took longer than seeding them. Customers are deleted through the ORM, so each
    leaves the tombstone that refuses its tokens at once (accounts/signals.py)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            for model in (TicketInventory, TicketMechanic, Ticket):
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
        Customer.objects.all().delete()
        Mechanic.objects.all().delete()
        Inventory.objects.all().delete()
    bump("customers", "mechanics", "tickets")


def ensure_demo_staff(*, password: str) -> bool:
    """Create the demo staff login unless it exists. True when created."""
    user_model = get_user_model()
    if user_model.objects.filter(username=DEMO_STAFF_USERNAME).exists():
        return False
    user_model.objects.create_superuser(DEMO_STAFF_USERNAME, "admin@shop.example", password)
    return True


def demo_staff_has_password(password: str) -> bool:
    """Whether the demo staff login exists, is an active staff account, and has this password."""
    user = get_user_model().objects.filter(username=DEMO_STAFF_USERNAME, is_active=True, is_staff=True).first()
    return user is not None and check_password(password, user.password)


def refresh_planner_statistics(model_classes: list[type[models.Model]]) -> None:
    """Let the database's query planner see what a bulk load put in these tables. Without it,
    MariaDB joined a customer's tickets to every part before their lines."""
    tables = [connection.ops.quote_name(model._meta.db_table) for model in model_classes]
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            if connection.in_atomic_block:
                return  # ANALYZE TABLE would commit the caller's transaction
            cursor.execute(f"ANALYZE TABLE {', '.join(tables)}")
            cursor.fetchall()  # MariaDB answers with a status row per table
        elif connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {', '.join(tables)}")
        elif connection.vendor == "sqlite":
            for table in tables:
                cursor.execute(f"ANALYZE {table}")


def _taken(model: type[models.Model], field: str, values: list[str], chunk: int = 500) -> set[str]:
    """Which of `values` (compared lower-case) the table holds already."""
    keys = sorted({value.lower() for value in values})
    taken: set[str] = set()
    for start in range(0, len(keys), chunk):
        rows = model.objects.annotate(_key=Lower(field)).filter(_key__in=keys[start : start + chunk])
        taken.update(value.lower() for value in rows.values_list(field, flat=True))
    return taken


def _numbered_email(email: str, k: int) -> str:
    local, _, domain = email.partition("@")
    return f"{local}.{k}@{domain}"


def _avoid_taken(rows: list[models.Model], field: str, taken: set[str], variant) -> None:
    """Give each row whose `field` is taken (ignoring case) the first free `variant(value, k)`."""
    for row in rows:
        value = candidate = getattr(row, field)
        k = 1
        while candidate.lower() in taken:
            k += 1
            candidate = variant(value, k)
        taken.add(candidate.lower())
        setattr(row, field, candidate)


def seed_shop(
    *, sizes: SeedSizes, seed: int, customer_password: str, batch_size: int = 5000, progress=None
) -> dict[str, int]:
    """Insert demo data; `progress(n)` is called after each batch of tickets. Every demo customer
    signs in with `customer_password`."""
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    password_hash = make_password(customer_password)  # one hash: hashing per row would take hours

    customers = []
    for i in range(sizes.customers):
        first, last = fake.first_name(), fake.last_name()
        customers.append(Customer(
            name=f"{first} {last}", email=f"{first}.{last}{i + 1}@example.com".lower(),
            phone=fake.numerify("(###) ###-####"), password=password_hash,
        ))
    mechanics = []
    for i in range(sizes.mechanics):
        first, last = fake.first_name(), fake.last_name()
        mechanics.append(Mechanic(
            name=f"{first} {last}", email=f"{first}.{last}.{i + 1}@shop.example".lower(),
            phone=fake.numerify("(###) ###-####"), salary=Decimal(rng.randrange(3_800_000, 9_500_000)) / 100,
        ))
    names = [f"{base} ({variant})" for base in PART_NAMES for variant in PART_VARIANTS]
    rng.shuffle(names)
    items = [
        Inventory(name=names[i] if i < len(names) else f"Shop supply #{i + 1}", price=Decimal(rng.randrange(199, 89_999)) / 100)
        for i in range(sizes.parts)
    ]
    # Seeding a database that holds data already (another run, real customers) must not
    # collide with its unique emails and names: a clashing one gets a numbered variant.
    _avoid_taken(customers, "email", _taken(Customer, "email", [c.email for c in customers]), _numbered_email)
    _avoid_taken(mechanics, "email", _taken(Mechanic, "email", [m.email for m in mechanics]), _numbered_email)
    _avoid_taken(items, "name", _taken(Inventory, "name", [p.name for p in items]), lambda name, k: f"{name} #{k}")
    with transaction.atomic():
        Customer.objects.bulk_create(customers, batch_size=batch_size)
        Mechanic.objects.bulk_create(mechanics, batch_size=batch_size)
        Inventory.objects.bulk_create(items, batch_size=batch_size)
    customer_ids = list(Customer.objects.filter(email__in=[c.email for c in customers]).values_list("id", flat=True))
    mechanic_ids = list(Mechanic.objects.filter(email__in=[m.email for m in mechanics]).values_list("id", flat=True))
    item_ids = list(Inventory.objects.filter(name__in=[p.name for p in items]).values_list("id", flat=True))
    customer_ids.sort(), mechanic_ids.sort(), item_ids.sort()
    prices = dict(Inventory.objects.filter(pk__in=item_ids).values_list("id", "price"))

    counts = {"customers": len(customer_ids), "mechanics": len(mechanic_ids), "parts": len(item_ids),
              "tickets": 0, "mechanic_assignments": 0, "parts_lines": 0}
    if sizes.tickets and not customer_ids:
        raise ValueError("Tickets need at least one customer.")
    start_day = date(2024, 1, 1)
    for batch in _batches(sizes.tickets, batch_size):
        with transaction.atomic():
            tickets = Ticket.objects.bulk_create([
                Ticket(
                    customer_id=rng.choice(customer_ids), vin=random_vin(rng),
                    service_date=start_day + timedelta(days=rng.randrange(0, 1060)),
                    service_description=rng.choice(SERVICES),
                )
                for _ in batch
            ])
            links, lines = [], []
            for ticket in tickets:
                for mechanic_id in rng.sample(mechanic_ids, k=min(len(mechanic_ids), rng.choice((1, 1, 2, 2, 3)))):
                    links.append(TicketMechanic(ticket_id=ticket.pk, mechanic_id=mechanic_id))
                for item_id in rng.sample(item_ids, k=min(len(item_ids), rng.choice((0, 1, 2, 3)))):
                    lines.append(TicketInventory(
                        ticket_id=ticket.pk, inventory_id=item_id, quantity=rng.choice((1, 1, 2, 4)),
                        unit_price=prices[item_id],
                    ))
            TicketMechanic.objects.bulk_create(links)
            TicketInventory.objects.bulk_create(lines)
        counts["tickets"] += len(tickets)
        counts["mechanic_assignments"] += len(links)
        counts["parts_lines"] += len(lines)
        if progress:
            progress(len(tickets))
    refresh_planner_statistics([Customer, Mechanic, Inventory, Ticket, TicketMechanic, TicketInventory])
    bump("customers", "mechanics", "tickets")
    return counts
