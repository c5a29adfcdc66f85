"""The shop's numbers, each read with set-based SQL (aggregates grouped in the database, a fixed
number of queries however many invoices there are).

Every date is a day of the shop's calendar (settings.TIME_ZONE): an invoice issued at 23:30 local
time belongs to that local day, though it is the next day in UTC. A range of days `first`..`last`
(inclusive) is the half-open range of instants [start of `first`, start of the day after `last`)
in the shop's zone, which the index on Invoice.issued_at (or Payment.at) reads directly.

Sums of money are quantized to the cent: PostgreSQL and MariaDB add decimals exactly; SQLite adds
them as binary floating point, exact to the cent for any real shop's volume.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from django.db.models import Case, Count, F, QuerySet, Sum, Value, When
from django.db.models.functions import TruncDay, TruncMonth
from django.utils import timezone

from inventory import selectors as inventory_selectors
from inventory.models import Inventory
from tickets import selectors as ticket_selectors
from tickets.models import Invoice, Payment, Status, Ticket, TicketLine
from tickets.money import ZERO, cents, line_amount, paid_subquery

SALES_AMOUNTS = ("parts", "labor", "fees", "subtotal", "tax", "total")
GROUPS = {"day": TruncDay, "month": TruncMonth}
# Receivables by age in days since the invoice's local day: (bucket, the oldest age in it).
AGE_BUCKETS = (("0-30", 30), ("31-60", 60), ("61-90", 90), ("90+", None))


def shop_today() -> date:
    return timezone.localdate(timezone=timezone.get_default_timezone())


def _start_of(day: date, zone: tzinfo) -> datetime | None:
    """The first instant of the shop's `day`; None when that instant is outside what datetime can
    hold (the first or last days of the calendar): no bound."""
    try:
        return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    except OverflowError:
        return None


def _within(queryset: QuerySet, field: str, first: date | None, last: date | None) -> QuerySet:
    """Rows whose `field` (a datetime) falls on the shop's days first..last (None: no bound)."""
    zone = timezone.get_default_timezone()
    if first is not None and (start := _start_of(first, zone)) is not None:
        queryset = queryset.filter(**{f"{field}__gte": start})
    if last is not None and last < date.max and (end := _start_of(last + timedelta(days=1), zone)) is not None:
        queryset = queryset.filter(**{f"{field}__lt": end})
    return queryset


def _local_day(value: datetime) -> date:
    return timezone.localtime(value, timezone.get_default_timezone()).date()


# --- sales ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SalesRow:
    period: str  # "2026-11-05" (day), "2026-11" (month), or "total"
    invoices: int
    parts: Decimal
    labor: Decimal
    fees: Decimal
    subtotal: Decimal
    tax: Decimal
    total: Decimal


def _sales_by_period(*, first: date, last: date, group: str) -> list[tuple[date, dict]]:
    """(the period's first day, its count and sums) for each period with invoices, in order: one query."""
    trunc = GROUPS[group]
    rows = (
        _within(Invoice.objects.all(), "issued_at", first, last)
        .annotate(period=trunc("issued_at", tzinfo=timezone.get_default_timezone()))
        .values("period")
        .annotate(invoice_count=Count("id"), **{f"sum_{name}": Sum(name) for name in SALES_AMOUNTS})
        .order_by("period")
    )
    return [
        (
            row["period"].date(),
            {"invoices": row["invoice_count"], **{name: cents(row[f"sum_{name}"]) for name in SALES_AMOUNTS}},
        )
        for row in rows
    ]


def sales_report(*, first: date, last: date, group: str) -> list[SalesRow]:
    """Invoices issued on the shop's days first..last, per day or month (`group`), only periods
    with invoices, and a last row ("total") summing them. The figures are the invoices' frozen
    ones: the tax of a period is the sum of its invoices' tax."""
    label = date.isoformat if group == "day" else (lambda day: day.isoformat()[:7])
    rows = [SalesRow(period=label(day), **sums) for day, sums in _sales_by_period(first=first, last=last, group=group)]
    total = SalesRow(
        period="total",
        invoices=sum(row.invoices for row in rows),
        **{name: sum((getattr(row, name) for row in rows), ZERO) for name in SALES_AMOUNTS},
    )
    return [*rows, total]


def revenue_per_day(*, first: date, last: date) -> list[tuple[date, Decimal]]:
    """The invoiced total of each of the shop's days first..last, days without invoices included
    (as 0.00): a chart's series. One query; meant for short ranges (a month or two)."""
    totals = {day: sums["total"] for day, sums in _sales_by_period(first=first, last=last, group="day")}
    return [
        (first + timedelta(days=n), totals.get(first + timedelta(days=n), ZERO)) for n in range((last - first).days + 1)
    ]


# --- payments -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentsRow:
    date: date
    method: str
    count: int
    amount: Decimal  # refunds (negative payments) included


def payments_report(*, first: date, last: date) -> list[PaymentsRow]:
    """Payments and refunds taken on the shop's days first..last, per day and method. One query."""
    rows = (
        _within(Payment.objects.all(), "at", first, last)
        .annotate(day=TruncDay("at", tzinfo=timezone.get_default_timezone()))
        .values("day", "method")
        .annotate(payment_count=Count("id"), sum_amount=Sum("amount"))
        .order_by("day", "method")
    )
    return [
        PaymentsRow(
            date=row["day"].date(), method=row["method"], count=row["payment_count"], amount=cents(row["sum_amount"])
        )
        for row in rows
    ]


# --- mechanics ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MechanicRow:
    mechanic_id: int
    name: str
    labor_hours: Decimal
    labor_amount: Decimal
    tickets: int


def mechanics_report(*, first: date, last: date) -> list[MechanicRow]:
    """Per mechanic, the labor lines billed with their name on tickets invoiced on the shop's days
    first..last: hours, amount, and on how many tickets; by mechanic id. Two queries: the lines
    grouped by mechanic, quantity and rate (each line's amount is rounded to the cent on its own,
    so the amount is summed here from those groups, exactly), and the tickets per mechanic."""
    labor = _within(
        TicketLine.objects.filter(kind=TicketLine.Kind.LABOR, mechanic__isnull=False),
        "ticket__invoice__issued_at",
        first,
        last,
    )
    hours: dict[int, Decimal] = {}
    amounts: dict[int, Decimal] = {}
    groups = labor.values("mechanic_id", "quantity", "unit_price").annotate(line_count=Count("id")).order_by()
    for group in groups:
        mechanic_id, count = group["mechanic_id"], group["line_count"]
        hours[mechanic_id] = hours.get(mechanic_id, ZERO) + group["quantity"] * count
        amounts[mechanic_id] = (
            amounts.get(mechanic_id, ZERO) + line_amount(group["quantity"], group["unit_price"]) * count
        )
    mechanics = (
        labor.values("mechanic_id", "mechanic__name")
        .annotate(ticket_count=Count("ticket_id", distinct=True))
        .order_by("mechanic_id")
    )
    return [
        MechanicRow(
            mechanic_id=row["mechanic_id"],
            name=row["mechanic__name"],
            labor_hours=hours[row["mechanic_id"]],
            labor_amount=amounts[row["mechanic_id"]],
            tickets=row["ticket_count"],
        )
        for row in mechanics
    ]


# --- receivables ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivableRow:
    ticket_id: int
    invoice_number: int
    customer_id: int
    invoiced_at: datetime
    total: Decimal
    balance: Decimal
    age_days: int
    bucket: str


def age_bucket(age_days: int) -> str:
    for bucket, oldest in AGE_BUCKETS:
        if oldest is None or age_days <= oldest:
            return bucket
    raise AssertionError("the last bucket has no limit")


def _unpaid_invoices() -> QuerySet[Invoice]:
    """Invoices of tickets still `invoiced` (a closed ticket has paid in full: the workflow closes
    only a ticket with nothing owed), annotated with `balance`, those with something owed."""
    return (
        Invoice.objects.filter(ticket__status=Status.INVOICED)
        .annotate(balance=F("total") - paid_subquery(ticket_field="ticket_id"))
        .filter(balance__gt=0)
    )


def receivables_report(*, first: date | None, last: date | None) -> list[ReceivableRow]:
    """Invoiced tickets with a balance, invoiced on the shop's days first..last (None: no bound),
    oldest first, with their age in days (today minus the invoice's day, in the shop's calendar)
    and its bucket. One query."""
    today = shop_today()
    rows = (
        _within(_unpaid_invoices(), "issued_at", first, last)
        .values_list("ticket_id", "id", "ticket__customer_id", "issued_at", "total", "balance")
        .order_by("issued_at", "id")
    )
    receivables = []
    for ticket_id, number, customer_id, issued_at, total, balance in rows:
        age = (today - _local_day(issued_at)).days
        receivables.append(
            ReceivableRow(ticket_id, number, customer_id, issued_at, total, cents(balance), age, age_bucket(age))
        )
    return receivables


def receivables_by_age() -> dict[str, tuple[int, Decimal]]:
    """How many invoices owe how much, per age bucket (every bucket, empty ones as (0, 0.00)), as
    of today: a dashboard's panel. One query, the buckets decided in SQL from the invoice dates."""
    zone, today = timezone.get_default_timezone(), shop_today()
    bucket = Case(
        *(
            When(issued_at__gte=_start_of(today - timedelta(days=oldest), zone), then=Value(name))
            for name, oldest in AGE_BUCKETS
            if oldest is not None
        ),
        default=Value(AGE_BUCKETS[-1][0]),
    )
    rows = (
        _unpaid_invoices()
        .annotate(bucket=bucket)
        .values("bucket")
        .annotate(invoice_count=Count("id"), owed=Sum("balance"))
        .order_by()
    )
    found = {row["bucket"]: (row["invoice_count"], cents(row["owed"])) for row in rows}
    return {name: found.get(name, (0, ZERO)) for name, _ in AGE_BUCKETS}


# --- the admin's dashboard ------------------------------------------------------------------------

# How many rows each of the dashboard's lists shows (the rest are a link to the admin's list away).
DASHBOARD_ROWS = 8
REVENUE_DAYS = 30


@dataclass(frozen=True)
class Dashboard:
    today: date
    status_counts: dict[str, int]  # every status: all tickets
    day_board: dict[str, int]  # the statuses of the tickets serviced today
    waiting_count: int
    waiting: list[Ticket]  # the longest waiting first, with their totals (tickets.selectors.board_rows)
    ready: list[Ticket]
    ready_count: int
    low_stock_count: int
    low_stock: list[Inventory]
    receivables: dict[str, tuple[int, Decimal]]  # age bucket: (invoices, owed)
    revenue: list[tuple[date, Decimal]]  # the last REVENUE_DAYS days, today last


def dashboard(*, rows: int = DASHBOARD_ROWS) -> Dashboard:
    """What the admin's front page shows, as of the shop's today: a fixed number of set-based
    queries (nine) however many tickets, invoices and items there are."""
    today = shop_today()
    counts = ticket_selectors.status_counts()
    waiting_count, waiting = ticket_selectors.waiting_for_approval_list(limit=rows)
    return Dashboard(
        today=today,
        status_counts=counts,
        day_board=ticket_selectors.day_board(day=today),
        waiting_count=waiting_count,
        waiting=waiting,
        ready=ticket_selectors.ready_for_pickup_list(limit=rows),
        ready_count=sum(counts[status] for status in ticket_selectors.READY_FOR_PICKUP_STATUSES),
        low_stock_count=inventory_selectors.low_stock_count(),
        low_stock=inventory_selectors.low_stock_items(limit=rows),
        receivables=receivables_by_age(),
        revenue=revenue_per_day(first=today - timedelta(days=REVENUE_DAYS - 1), last=today),
    )
