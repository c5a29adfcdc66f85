"""The reports' selectors, without HTTP: each figure against the invoices' own, each day a day of
the shop's calendar (TIME_ZONE), each report in a fixed number of queries."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from mechanics.tests.factories import MechanicFactory
from reports import selectors
from reports.tests.shop import invoiced_ticket, pay
from tickets import workflow
from tickets.models import Invoice, TicketLine

CHICAGO = ZoneInfo("America/Chicago")


def chicago(*args) -> datetime:
    return datetime(*args, tzinfo=CHICAGO)


@pytest.fixture
def shop_in_chicago(db, settings):
    settings.TIME_ZONE = "America/Chicago"


@pytest.fixture
def around_november(shop_in_chicago):
    """Invoices on both sides of November's first and last local midnights in Chicago, each with
    a tax that rounds: which day and month each belongs to differs between Chicago and UTC."""
    return {
        "oct31_late": invoiced_ticket(chicago(2026, 10, 31, 23, 30), parts=("19.99",), tax_rate="0.0825"),
        "nov1_early": invoiced_ticket(chicago(2026, 11, 1, 0, 30), fees=("33.33",), tax_rate="0.0825"),
        "nov15": invoiced_ticket(chicago(2026, 11, 15, 12), labor=(("1.5", "89.99", None),), tax_rate="0.07"),
        "nov15_again": invoiced_ticket(chicago(2026, 11, 15, 18), parts=("0.07",), fees=("0.06",), tax_rate="0.0825"),
        "nov30_late": invoiced_ticket(chicago(2026, 11, 30, 23, 59), parts=("1234.56",), tax_rate="0.0625"),
        "dec1_midnight": invoiced_ticket(chicago(2026, 12, 1, 0, 0), fees=("10.01",), tax_rate="0.0825"),
    }


def frozen(*tickets, field="tax") -> Decimal:
    return sum((getattr(Invoice.objects.get(ticket=ticket), field) for ticket in tickets), Decimal("0.00"))


def invoices_on_local_days(first: date, last: date) -> list[Invoice]:
    """The invoices of those days, chosen in Python, one by one: what the report's SQL must agree with."""
    zone = timezone.get_default_timezone()
    return [i for i in Invoice.objects.all() if first <= timezone.localtime(i.issued_at, zone).date() <= last]


# --- sales ----------------------------------------------------------------------------------------


def test_the_months_tax_is_the_sum_of_its_invoices_frozen_tax(around_november):
    rows = selectors.sales_report(first=date(2026, 11, 1), last=date(2026, 11, 30), group="month")

    invoices = invoices_on_local_days(date(2026, 11, 1), date(2026, 11, 30))
    assert [row.period for row in rows] == ["2026-11", "total"]
    assert rows[0].tax == rows[1].tax == sum(i.tax for i in invoices)
    assert rows[0].invoices == len(invoices) == 4
    t = around_november
    assert rows[0].tax == frozen(t["nov1_early"], t["nov15"], t["nov15_again"], t["nov30_late"])
    for field in selectors.SALES_AMOUNTS:
        assert getattr(rows[1], field) == sum(getattr(i, field) for i in invoices), field


def test_days_follow_the_shops_calendar_across_midnight_and_month_ends(around_november):
    t = around_november

    rows = selectors.sales_report(first=date(2026, 10, 31), last=date(2026, 12, 1), group="day")

    assert [(row.period, row.invoices, row.tax) for row in rows] == [
        ("2026-10-31", 1, frozen(t["oct31_late"])),
        ("2026-11-01", 1, frozen(t["nov1_early"])),
        ("2026-11-15", 2, frozen(t["nov15"], t["nov15_again"])),
        ("2026-11-30", 1, frozen(t["nov30_late"])),
        ("2026-12-01", 1, frozen(t["dec1_midnight"])),
        ("total", 6, frozen(*t.values())),
    ]


def test_months_follow_the_shops_calendar(around_november):
    t = around_november

    rows = selectors.sales_report(first=date(2026, 10, 1), last=date(2026, 12, 31), group="month")

    assert [(row.period, row.invoices, row.total) for row in rows] == [
        ("2026-10", 1, frozen(t["oct31_late"], field="total")),
        ("2026-11", 4, frozen(t["nov1_early"], t["nov15"], t["nov15_again"], t["nov30_late"], field="total")),
        ("2026-12", 1, frozen(t["dec1_midnight"], field="total")),
        ("total", 6, frozen(*t.values(), field="total")),
    ]


def test_in_utc_the_same_invoices_fall_on_other_days(around_november, settings):
    """The time-zone boundary the other way: in UTC, October 31st 23:30 in Chicago is November 1st,
    and November 30th 23:59 is December 1st."""
    settings.TIME_ZONE = "UTC"
    t = around_november

    rows = selectors.sales_report(first=date(2026, 11, 1), last=date(2026, 11, 30), group="month")

    assert rows[0].tax == frozen(t["oct31_late"], t["nov1_early"], t["nov15"], t["nov15_again"])
    assert rows[0].tax == sum(i.tax for i in invoices_on_local_days(date(2026, 11, 1), date(2026, 11, 30)))


def test_a_range_without_invoices_is_a_total_of_zero(db):
    rows = selectors.sales_report(first=date(2026, 1, 1), last=date(2026, 1, 31), group="day")

    assert [(row.period, row.invoices, row.total) for row in rows] == [("total", 0, Decimal("0.00"))]


def test_revenue_per_day_has_every_day_of_the_range(around_november):
    t = around_november

    series = selectors.revenue_per_day(first=date(2026, 11, 14), last=date(2026, 11, 16))

    assert series == [
        (date(2026, 11, 14), Decimal("0.00")),
        (date(2026, 11, 15), frozen(t["nov15"], t["nov15_again"], field="total")),
        (date(2026, 11, 16), Decimal("0.00")),
    ]


# --- payments -------------------------------------------------------------------------------------


def test_payments_per_shop_day_and_method_with_refunds(shop_in_chicago):
    ticket = invoiced_ticket(chicago(2026, 11, 1, 9), fees=("500.00",))
    pay(ticket, "100.00", chicago(2026, 11, 1, 23, 45))  # 05:45 UTC on the 2nd
    pay(ticket, "50.50", chicago(2026, 11, 1, 10), method="cash")
    pay(ticket, "200.00", chicago(2026, 11, 2, 0, 15))
    pay(ticket, "-30.25", chicago(2026, 11, 2, 8))  # a refund
    pay(ticket, "1.00", chicago(2026, 12, 1, 0, 5))  # the next month

    rows = selectors.payments_report(first=date(2026, 11, 1), last=date(2026, 11, 30))

    assert [(row.date, row.method, row.count, row.amount) for row in rows] == [
        (date(2026, 11, 1), "card", 1, Decimal("100.00")),
        (date(2026, 11, 1), "cash", 1, Decimal("50.50")),
        (date(2026, 11, 2), "card", 2, Decimal("169.75")),
    ]


# --- mechanics ------------------------------------------------------------------------------------


def test_mechanics_labor_on_tickets_invoiced_in_the_range(shop_in_chicago, make_ticket):
    dana, lee = MechanicFactory(name="Dana"), MechanicFactory(name="Lee")
    # 0.33 h at 100.01 is 33.0033, billed 33.00 per line: two such lines are 66.00, not 66.01.
    invoiced_ticket(
        chicago(2026, 11, 3, 10),
        labor=(("0.33", "100.01", dana.pk), ("0.33", "100.01", dana.pk), ("2", "90", lee.pk), ("1", "50", None)),
        fees=("25.00",),
    )
    invoiced_ticket(chicago(2026, 11, 20, 10), labor=(("1.25", "96.00", dana.pk),))
    invoiced_ticket(chicago(2026, 10, 31, 23), labor=(("8", "90", lee.pk),))  # invoiced the month before
    open_ticket = make_ticket()  # not invoiced: not counted
    TicketLine.objects.create(ticket=open_ticket, kind="labor", description="x", quantity=3, unit_price=1, mechanic=lee)

    rows = selectors.mechanics_report(first=date(2026, 11, 1), last=date(2026, 11, 30))

    assert [(r.mechanic_id, r.name, r.labor_hours, r.labor_amount, r.tickets) for r in rows] == [
        (dana.pk, "Dana", Decimal("1.91"), Decimal("186.00"), 2),
        (lee.pk, "Lee", Decimal("2.00"), Decimal("180.00"), 1),
    ]


# --- receivables ----------------------------------------------------------------------------------


def days_ago(days: int) -> datetime:
    """An instant on the shop's day `days` before today (its first hour)."""
    today = selectors.shop_today()
    return datetime.combine(today - timedelta(days=days), time(0, 30), tzinfo=timezone.get_default_timezone())


@pytest.fixture
def receivables(shop_in_chicago, make_customer):
    customer = make_customer()
    tickets = {
        age: invoiced_ticket(days_ago(age), fees=("100.00",), customer=customer) for age in (0, 30, 31, 60, 61, 90, 91)
    }
    pay(tickets[31], "40.00", days_ago(5))
    pay(tickets[61], "100.00", days_ago(5))  # paid in full: owes nothing
    closed = invoiced_ticket(days_ago(200), fees=("80.00",))
    pay(closed, "80.00", days_ago(150))
    workflow.transition(ticket_id=closed.pk, to="closed", by="staff")
    return tickets


def test_receivables_are_the_unpaid_invoices_oldest_first_with_their_age(receivables):
    rows = selectors.receivables_report(first=None, last=selectors.shop_today())

    assert [(r.ticket_id, r.age_days, r.bucket, r.balance) for r in rows] == [
        (receivables[91].pk, 91, "90+", Decimal("100.00")),
        (receivables[90].pk, 90, "61-90", Decimal("100.00")),
        (receivables[60].pk, 60, "31-60", Decimal("100.00")),
        (receivables[31].pk, 31, "31-60", Decimal("60.00")),
        (receivables[30].pk, 30, "0-30", Decimal("100.00")),
        (receivables[0].pk, 0, "0-30", Decimal("100.00")),
    ]
    assert rows[0].invoice_number == Invoice.objects.get(ticket=receivables[91]).pk
    assert rows[0].total == Decimal("100.00") and rows[0].customer_id == receivables[91].customer_id


def test_receivables_by_invoice_date(receivables):
    today = selectors.shop_today()

    rows = selectors.receivables_report(first=today - timedelta(days=60), last=today - timedelta(days=30))

    assert [r.age_days for r in rows] == [60, 31, 30]


def test_receivables_by_age_agree_with_the_rows(receivables):
    rows = selectors.receivables_report(first=None, last=None)

    summary = selectors.receivables_by_age()

    assert summary == {
        "0-30": (2, Decimal("200.00")),
        "31-60": (2, Decimal("160.00")),
        "61-90": (1, Decimal("100.00")),
        "90+": (1, Decimal("100.00")),
    }
    for bucket, (count, owed) in summary.items():
        mine = [r for r in rows if r.bucket == bucket]
        assert (len(mine), sum((r.balance for r in mine), Decimal("0.00"))) == (count, owed)


def test_receivables_by_age_lists_empty_buckets(db):
    assert selectors.receivables_by_age() == dict.fromkeys(("0-30", "31-60", "61-90", "90+"), (0, Decimal("0.00")))


# --- set-based: a fixed number of queries ----------------------------------------------------------


def test_each_report_is_a_fixed_number_of_queries(around_november, receivables, django_assert_num_queries):
    first, last = date(2026, 10, 1), date(2026, 12, 31)
    for call, queries in [
        (lambda: selectors.sales_report(first=first, last=last, group="day"), 1),
        (lambda: selectors.sales_report(first=first, last=last, group="month"), 1),
        (lambda: selectors.payments_report(first=first, last=last), 1),
        (lambda: selectors.mechanics_report(first=first, last=last), 2),
        (lambda: selectors.receivables_report(first=None, last=None), 1),
        (selectors.receivables_by_age, 1),
        (lambda: selectors.revenue_per_day(first=first, last=last), 1),
    ]:
        with django_assert_num_queries(queries):
            call()


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/Chicago", "Pacific/Kiritimati", "UTC"])
def test_the_first_and_last_days_of_the_calendar_are_no_bound(settings, zone, around_november):
    settings.TIME_ZONE = zone

    rows = selectors.sales_report(first=date.min, last=date.max, group="month")

    assert rows[-1].invoices == 6
    assert len(selectors.receivables_report(first=date.min, last=date.max)) == 6
