"""Demo data for the shop: realistic, reproducible, and fast to insert in bulk."""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.db import connection, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from faker import Faker

from audit.models import Change
from core.caching import bump
from customers.models import Customer
from inventory.models import Inventory, StockMovement
from mechanics.models import Mechanic
from tickets import money
from tickets.models import (
    Invoice,
    Payment,
    Status,
    StatusChange,
    Ticket,
    TicketInventory,
    TicketLine,
    TicketMechanic,
)
from vehicles.models import Vehicle
from vehicles.vin import check_digit

# Every resource with cached reads (core.caching): a bulk load or flush changes them all.
CACHED_RESOURCES = ("customers", "mechanics", "tickets", "ticket-details")
DEMO_STAFF_USERNAME = "admin"
# Known passwords, for a development machine only (DEBUG on): see the seed_shop command.
DEVELOPMENT_STAFF_PASSWORD = "shop-admin-demo"
DEVELOPMENT_CUSTOMER_PASSWORD = "demo-customer-pass"

VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
PART_NAMES = [
    "Brake pad set",
    "Brake rotor",
    "Oil filter",
    "Air filter",
    "Cabin air filter",
    "Spark plug",
    "Wiper blade",
    "Timing belt",
    "Serpentine belt",
    "Water pump",
    "Alternator",
    "Starter motor",
    "Battery",
    "Headlight bulb",
    "Tail light bulb",
    "Fuel filter",
    "Radiator hose",
    "Thermostat",
    "Shock absorber",
    "Strut assembly",
    "Tie rod end",
    "Ball joint",
    "Wheel bearing",
    "CV axle",
    "Clutch kit",
    "Engine oil 5W-30 (1 qt)",
    "Coolant (1 gal)",
    "Transmission fluid (1 qt)",
    "Brake fluid DOT 4",
    "Oxygen sensor",
    "Ignition coil",
    "Drive belt tensioner",
    "Exhaust gasket",
    "Muffler",
    "Catalytic converter",
    "Cabin blower motor",
    "Door lock actuator",
    "Tire 205/55R16",
]
PART_VARIANTS = ["front", "rear", "OEM", "economy", "premium", "heavy duty", "left", "right", "ceramic", "standard"]
SERVICES = [
    "Oil and filter change",
    "Brake pads replaced, rotors resurfaced",
    "Tire rotation and balance",
    "Diagnosed check-engine light",
    "Replaced timing belt and water pump",
    "Battery test and replacement",
    "Coolant flush",
    "Transmission service",
    "Wheel alignment",
    "A/C recharge",
    "Replaced alternator",
    "Suspension inspection, replaced struts",
    "Pre-purchase inspection",
    "Replaced spark plugs and coils",
    "Exhaust leak repaired",
    "Annual safety inspection",
]


def random_vin(rng: random.Random) -> str:
    chars = [rng.choice(VIN_ALPHABET) for _ in range(17)]
    chars[9] = rng.choice("ABCDEFGHJKLMNPRSTVWXY123456789")  # model year code
    chars[8] = check_digit("".join(chars))
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
    """Delete the shop's data, its audit trail included. Tickets and their lines go with one DELETE
    per table: loading a million tickets to delete each one took longer than seeding them. Customers are deleted
    through the ORM, so each leaves the tombstone that refuses its tokens at once
    (accounts/signals.py). Every cached read is made stale once, at the end."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            for model in (
                Change,
                Payment,
                Invoice,
                StatusChange,
                TicketLine,
                StockMovement,
                TicketInventory,
                TicketMechanic,
                Ticket,
                Vehicle,
            ):
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
        Customer.objects.all().delete()
        Mechanic.objects.all().delete()
        Inventory.objects.all().delete()
    bump(*CACHED_RESOURCES)


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


def _people(fake: Faker, count: int, email: str) -> Iterator[tuple[str, str, str]]:
    """`count` people's names, emails (`email` with their first and last name and number n) and phones."""
    for n in range(1, count + 1):
        first, last = fake.first_name(), fake.last_name()
        yield f"{first} {last}", email.format(first=first, last=last, n=n).lower(), fake.numerify("(###) ###-####")


def seed_shop(
    *, sizes: SeedSizes, seed: int, customer_password: str, batch_size: int = 5000, progress=None
) -> dict[str, int]:
    """Insert demo data; `progress(n)` is called after each batch of tickets. Every demo customer
    signs in with `customer_password`."""
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    password_hash = make_password(customer_password)  # one Argon2 hash for all, not one per customer

    customers = [
        Customer(name=name, email=email, phone=phone, password=password_hash)
        for name, email, phone in _people(fake, sizes.customers, "{first}.{last}{n}@example.com")
    ]
    mechanics = [
        Mechanic(name=name, email=email, phone=phone, salary=Decimal(rng.randrange(3_800_000, 9_500_000)) / 100)
        for name, email, phone in _people(fake, sizes.mechanics, "{first}.{last}.{n}@shop.example")
    ]
    names = [f"{base} ({variant})" for base in PART_NAMES for variant in PART_VARIANTS]
    rng.shuffle(names)
    items = [
        Inventory(
            name=names[i] if i < len(names) else f"Shop supply #{i + 1}",
            price=Decimal(rng.randrange(199, 89_999)) / 100,
        )
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

    counts = {
        "customers": len(customer_ids),
        "mechanics": len(mechanic_ids),
        "parts": len(item_ids),
        "vehicles": 0,
        "tickets": 0,
        "mechanic_assignments": 0,
        "parts_lines": 0,
        "labor_and_fee_lines": 0,
        "payments": 0,
    }
    _stock_up(rng, item_ids)
    if sizes.tickets and not customer_ids:
        raise ValueError("Tickets need at least one customer.")
    vehicles_of = _add_vehicles(rng, customer_ids) if sizes.tickets else {}
    counts["vehicles"] = sum(len(vehicles) for vehicles in vehicles_of.values())
    highest_reading: dict[int, int] = {}
    first_day, span = first_service_day(sizes.tickets, today=timezone.localdate())
    for batch in _batches(sizes.tickets, batch_size):
        with transaction.atomic():
            plans = [
                _plan_ticket(rng, index, sizes.tickets, customer_ids, vehicles_of, first_day=first_day, span=span)
                for index in batch
            ]
            for plan in plans:
                _plan_work(rng, plan, mechanic_ids, item_ids, prices)
            tickets = Ticket.objects.bulk_create([plan.ticket for plan in plans])
            links, parts, lines, history, invoices, payments = [], [], [], [], [], []
            for plan, ticket in zip(plans, tickets, strict=True):
                links += [
                    TicketMechanic(ticket_id=ticket.pk, mechanic_id=mechanic_id) for mechanic_id in plan.mechanics
                ]
                for row in (*plan.parts, *plan.lines):
                    row.ticket_id = ticket.pk
                parts += plan.parts
                lines += plan.lines
                history += _history(rng, ticket, plan.path)
                if ticket.status in (Status.INVOICED, Status.CLOSED):
                    invoice = Invoice(ticket_id=ticket.pk, issued_at=history[-1].at, **plan.charged.as_dict())
                    invoices.append(invoice)
                    payments += _payments(rng, ticket, invoice.total, paid_in_full=ticket.status == Status.CLOSED)
                if ticket.vehicle_id and ticket.mileage_out is not None:
                    highest_reading[ticket.vehicle_id] = max(
                        highest_reading.get(ticket.vehicle_id, 0), ticket.mileage_out
                    )
            TicketMechanic.objects.bulk_create(links)
            TicketInventory.objects.bulk_create(parts)
            TicketLine.objects.bulk_create(lines)
            StatusChange.objects.bulk_create(history)
            Invoice.objects.bulk_create(invoices)
            Payment.objects.bulk_create(payments)
        counts["tickets"] += len(tickets)
        counts["mechanic_assignments"] += len(links)
        counts["parts_lines"] += len(parts)
        counts["labor_and_fee_lines"] += len(lines)
        counts["payments"] += len(payments)
        if progress:
            progress(len(tickets))
    Vehicle.objects.bulk_update(
        [Vehicle(pk=vehicle_id, mileage=reading) for vehicle_id, reading in highest_reading.items()],
        ["mileage"],
        batch_size=batch_size,
    )
    refresh_planner_statistics(
        [Customer, Mechanic, Inventory, Vehicle, Ticket, TicketMechanic, TicketInventory, TicketLine]
    )
    bump(*CACHED_RESOURCES)
    return counts


# --- the pieces of a realistic shop -------------------------------------------------------------

MAKES_AND_MODELS = {
    "Toyota": ["Corolla", "Camry", "RAV4", "Tacoma"],
    "Honda": ["Civic", "Accord", "CR-V", "Odyssey"],
    "Ford": ["F-150", "Escape", "Focus", "Explorer"],
    "Chevrolet": ["Silverado", "Malibu", "Equinox"],
    "Subaru": ["Outback", "Forester", "Impreza"],
    "Nissan": ["Altima", "Rogue", "Sentra"],
    "Volkswagen": ["Golf", "Jetta", "Tiguan"],
    "Hyundai": ["Elantra", "Tucson", "Sonata"],
}
LABOR = ["Diagnosis", "Brake service", "Oil change labor", "Suspension work", "Electrical repair", "Engine repair"]
LABOR_HOURS = [Decimal("0.50"), Decimal("1.00"), Decimal("1.25"), Decimal("1.50"), Decimal("2.00"), Decimal("3.25")]
LABOR_RATES = [Decimal("95.00"), Decimal("110.00"), Decimal("125.00")]
FEES = [("Shop supplies", Decimal("12.50")), ("Hazardous waste disposal", Decimal("4.75"))]
PAYMENT_METHODS = [Payment.Method.CARD, Payment.Method.CARD, Payment.Method.CASH, Payment.Method.CHECK]
# The moves a ticket makes to reach each status (the tickets.workflow table's happy paths).
PATHS = {
    Status.ESTIMATE: [Status.ESTIMATE],
    Status.APPROVED: [Status.ESTIMATE, Status.APPROVED],
    Status.IN_PROGRESS: [Status.ESTIMATE, Status.APPROVED, Status.IN_PROGRESS],
    Status.COMPLETED: [Status.ESTIMATE, Status.APPROVED, Status.IN_PROGRESS, Status.COMPLETED],
    Status.INVOICED: [Status.ESTIMATE, Status.APPROVED, Status.IN_PROGRESS, Status.COMPLETED, Status.INVOICED],
    Status.CLOSED: [
        Status.ESTIMATE,
        Status.APPROVED,
        Status.IN_PROGRESS,
        Status.COMPLETED,
        Status.INVOICED,
        Status.CLOSED,
    ],
    Status.CANCELLED: [Status.ESTIMATE, Status.CANCELLED],
}
# Tickets come in over the last DAYS days at most, about four a day (a small demo shop's tickets
# fill its recent weeks, so its dashboard shows a month of revenue), the newest SETTLE_DAYS ago:
# every move of a ticket's history (hours apart) then lies in the past.
DAYS, TICKETS_PER_DAY, SETTLE_DAYS = 1060, 4, 7


def first_service_day(total: int, *, today: date) -> tuple[date, int]:
    """The first service day of `total` tickets seeded on `today`, and the days they span."""
    span = min(DAYS, max(30, total // TICKETS_PER_DAY))
    return today - timedelta(days=SETTLE_DAYS + span - 1), span


@dataclass
class TicketPlan:
    ticket: Ticket
    path: list[str]
    # Its work, drawn before the ticket is saved (ticket_id set once it is), priced as it would be.
    mechanics: list[int] = field(default_factory=list)
    parts: list[TicketInventory] = field(default_factory=list)
    lines: list[TicketLine] = field(default_factory=list)
    charged: money.Charges | None = None


def _stock_up(rng: random.Random, item_ids: list[int]) -> None:
    """Most parts are counted, a few of them at or below their reorder point; each counted part's
    ledger opens with the receipt of what is on the shelf."""
    items, movements = [], []
    for item_id in item_ids:
        if rng.random() < 0.15:
            continue  # not counted: quantity_on_hand stays null
        reorder_point = rng.choice((2, 4, 5, 8, 10))
        on_hand = rng.randrange(0, reorder_point + 1) if rng.random() < 0.15 else rng.randrange(reorder_point + 1, 60)
        items.append(Inventory(pk=item_id, quantity_on_hand=on_hand, reorder_point=reorder_point))
        if on_hand:
            movements.append(
                StockMovement(
                    item_id=item_id,
                    kind=StockMovement.Kind.RECEIPT,
                    quantity=on_hand,
                    balance_after=on_hand,
                    by=DEMO_STAFF_USERNAME,
                    note="Opening stock count",
                )
            )
    with transaction.atomic():
        Inventory.objects.bulk_update(items, ["quantity_on_hand", "reorder_point"])
        StockMovement.objects.bulk_create(movements)


def _add_vehicles(rng: random.Random, customer_ids: list[int]) -> dict[int, list[Vehicle]]:
    """One or two cars per customer."""
    vehicles = []
    for customer_id in customer_ids:
        for _ in range(rng.choice((1, 1, 1, 2))):
            make = rng.choice(sorted(MAKES_AND_MODELS))
            vehicles.append(
                Vehicle(
                    customer_id=customer_id,
                    vin=random_vin(rng),
                    year=rng.randrange(2006, 2026),
                    make=make,
                    model=rng.choice(MAKES_AND_MODELS[make]),
                    license_plate=(
                        f"{rng.randrange(1, 10)}{''.join(rng.choices('ABCDEFGHJKLMNPRSTUVWXYZ', k=3))}"
                        f"{rng.randrange(100, 1000)}"
                    ),
                )
            )
    # Seeding again with the same seed draws the same VINs: those get new ones.
    taken = set(Vehicle.objects.filter(vin__in=[v.vin for v in vehicles]).values_list("vin", flat=True))
    for vehicle in vehicles:
        while vehicle.vin in taken:
            vehicle.vin = random_vin(rng)
        taken.add(vehicle.vin)
    Vehicle.objects.bulk_create(vehicles)
    by_customer: dict[int, list[Vehicle]] = {}
    for vehicle in Vehicle.objects.filter(vin__in=[v.vin for v in vehicles]).order_by("id"):
        by_customer.setdefault(vehicle.customer_id, []).append(vehicle)
    return by_customer


# The newest tenth of the tickets is the shop floor of today: every open status, in turn.
OPEN_STATUSES = [
    Status.ESTIMATE,
    Status.APPROVED,
    Status.IN_PROGRESS,
    Status.COMPLETED,
    Status.INVOICED,
    Status.IN_PROGRESS,
    Status.ESTIMATE,
    Status.CANCELLED,
]


def _status_for(rng: random.Random, index: int, total: int) -> str:
    """Old tickets are closed (a few cancelled, a few still unpaid); the newest are still moving."""
    from_newest = total - 1 - index
    if from_newest < max(total // 10, len(OPEN_STATUSES)):
        return OPEN_STATUSES[from_newest % len(OPEN_STATUSES)]
    weights = {Status.CLOSED: 88, Status.CANCELLED: 6, Status.INVOICED: 6}
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _plan_ticket(
    rng, index: int, total: int, customer_ids: list[int], vehicles_of: dict, *, first_day: date, span: int
) -> TicketPlan:
    """Tickets come in date order, so ids and invoice numbers grow with time as in a real shop."""
    day = index * span // max(total, 1)
    customer_id = rng.choice(customer_ids)
    vehicle = rng.choice(vehicles_of[customer_id]) if customer_id in vehicles_of else None
    status = _status_for(rng, index, total)
    mileage_in = (vehicle.year - 2000) * 1000 + day * rng.randrange(25, 45) if vehicle else None
    done = status in (Status.COMPLETED, Status.INVOICED, Status.CLOSED)
    ticket = Ticket(
        customer_id=customer_id,
        vehicle=vehicle,
        vin=vehicle.vin if vehicle else random_vin(rng),
        service_date=first_day + timedelta(days=day),
        service_description=rng.choice(SERVICES),
        status=status,
        mileage_in=mileage_in,
        mileage_out=mileage_in + rng.randrange(0, 25) if done and mileage_in is not None else None,
    )
    return TicketPlan(ticket, PATHS[status])


def _plan_work(rng: random.Random, plan: TicketPlan, mechanic_ids: list[int], item_ids: list[int], prices) -> None:
    """The ticket's mechanics, parts and labor and fee lines, and what they come to: a ticket past
    its estimate was approved at that total."""
    plan.mechanics = rng.sample(mechanic_ids, k=min(len(mechanic_ids), rng.choice((1, 1, 2, 2, 3))))
    plan.parts = [
        TicketInventory(inventory_id=item_id, quantity=rng.choice((1, 1, 2, 4)), unit_price=prices[item_id])
        for item_id in rng.sample(item_ids, k=min(len(item_ids), rng.choice((0, 1, 2, 3))))
    ]
    plan.lines = _labor_and_fees(rng, plan.mechanics)
    plan.charged = money.charges(part_lines=plan.parts, lines=plan.lines, tax_rate=settings.TAX_RATE)
    if Status.APPROVED in plan.path:
        plan.ticket.approved_total = plan.charged.total


def _labor_and_fees(rng: random.Random, mechanic_ids: list[int]) -> list[TicketLine]:
    lines = [
        TicketLine(
            kind=TicketLine.Kind.LABOR,
            description=rng.choice(LABOR),
            quantity=rng.choice(LABOR_HOURS),
            unit_price=rng.choice(LABOR_RATES),
            mechanic_id=rng.choice(mechanic_ids) if mechanic_ids else None,
        )
        for _ in range(rng.choice((1, 1, 2)))
    ]
    if rng.random() < 0.5:
        description, price = rng.choice(FEES)
        lines.append(
            TicketLine(
                kind=TicketLine.Kind.FEE,
                description=description,
                quantity=Decimal("1.00"),
                unit_price=price,
            )
        )
    return lines


def _history(rng: random.Random, ticket: Ticket, path: list[str]) -> list[StatusChange]:
    """The creation entry, then one entry per move, hours apart, from the service day on."""
    at = timezone.make_aware(datetime.combine(ticket.service_date, time(8)), timezone.get_fixed_timezone(0))
    entries, previous = [], None
    for status in path:
        entries.append(
            StatusChange(ticket_id=ticket.pk, from_status=previous, to_status=status, at=at, by=DEMO_STAFF_USERNAME)
        )
        previous, at = status, at + timedelta(hours=rng.randrange(1, 30))
    return entries


def _payments(rng: random.Random, ticket: Ticket, total: Decimal, *, paid_in_full: bool) -> list[Payment]:
    if not total:
        return []
    if paid_in_full:
        return [Payment(ticket_id=ticket.pk, amount=total, method=rng.choice(PAYMENT_METHODS), by=DEMO_STAFF_USERNAME)]
    if rng.random() < 0.5:  # a deposit on some unpaid invoices
        return [
            Payment(
                ticket_id=ticket.pk,
                amount=money.cents(total / 2),
                method=Payment.Method.CARD,
                reference="Deposit",
                by=DEMO_STAFF_USERNAME,
            )
        ]
    return []
