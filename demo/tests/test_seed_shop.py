"""The seed_shop command: the sizes asked for, --flush, --if-empty, --seed, and demo logins that
exist with known passwords only on a development machine (DEBUG on)."""

import json
import random
import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Max, Sum
from django.utils import timezone

from customers.models import Customer
from demo.data import (
    DAYS,
    DEMO_STAFF_USERNAME,
    DEVELOPMENT_CUSTOMER_PASSWORD,
    DEVELOPMENT_STAFF_PASSWORD,
    SETTLE_DAYS,
    first_service_day,
    random_vin,
)
from inventory.models import Inventory, StockMovement
from mechanics.models import Mechanic
from reports.selectors import revenue_per_day
from tickets.models import Invoice, Payment, Status, StatusChange, Ticket, TicketInventory, TicketLine, TicketMechanic
from tickets.serializers import VIN_PATTERN
from vehicles.models import Vehicle
from vehicles.vin import is_valid_vin

pytestmark = pytest.mark.django_db

SIZES = ["--customers", "12", "--mechanics", "5", "--tickets", "40", "--parts", "15"]
NOTHING = ["--customers", "0", "--mechanics", "0", "--tickets", "0", "--parts", "0"]


def seed(capsys, *args) -> str:
    """Run seed_shop; what it printed."""
    capsys.readouterr()
    call_command("seed_shop", *args)
    return capsys.readouterr().out


def printed_login(out: str, path: str) -> dict | None:
    """The JSON body of the login line naming `path`, if one was printed."""
    match = re.search(rf"POST {re.escape(path)}\s+(\{{.*?\}})", out)
    return json.loads(match.group(1)) if match else None


def counts() -> tuple[int, int, int, int]:
    return Customer.objects.count(), Mechanic.objects.count(), Ticket.objects.count(), Inventory.objects.count()


def snapshot() -> dict:
    """The seeded data without database ids, which differ between runs."""
    return {
        "customers": list(Customer.objects.order_by("id").values_list("name", "email", "phone")),
        "mechanics": list(Mechanic.objects.order_by("id").values_list("name", "email", "salary", "ticket_count")),
        "parts": list(Inventory.objects.order_by("id").values_list("name", "price")),
        "tickets": [
            (
                t.vin,
                t.service_date,
                t.service_description,
                t.customer.email,
                sorted(m.email for m in t.mechanics.all()),
                sorted((line.inventory.name, line.quantity) for line in t.part_lines.all()),
            )
            for t in Ticket.objects.order_by("id")
            .select_related("customer")
            .prefetch_related("mechanics", "part_lines__inventory")
        ],
    }


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


# --- sizes, reproducibility, --flush, --if-empty ------------------------------------------------


def test_seed_creates_the_requested_counts(capsys):
    out = seed(capsys, *SIZES)
    assert counts() == (12, 5, 40, 15)
    assert re.search(r"Seeded: 12 customers, 5 mechanics, 15 parts, \d+ vehicles, 40 tickets, ", out)
    assert TicketMechanic.objects.exists() and TicketInventory.objects.exists()


def test_seeded_data_keeps_the_model_rules(capsys):
    seed(capsys, *SIZES, "--seed", "3")
    for ticket in Ticket.objects.all():
        ticket.full_clean()
        assert VIN_PATTERN.match(ticket.vin) and len(ticket.vin) == 17
        assert is_valid_vin(ticket.vin)
    for model in (Customer, Mechanic, Inventory, TicketInventory):
        for obj in model.objects.all():
            obj.full_clean(exclude=["password"])
    assert all(c.email == c.email.lower() for c in Customer.objects.all())
    assert not TicketMechanic.objects.values("ticket", "mechanic").annotate(n=Count("id")).filter(n__gt=1).exists()
    # The database triggers counted every assignment the bulk insert made.
    truth = dict(Mechanic.objects.annotate(n=Count("ticket_links")).values_list("id", "n"))
    assert dict(Mechanic.objects.values_list("id", "ticket_count")) == truth


def test_same_seed_gives_the_same_data_and_another_seed_other_data(capsys):
    seed(capsys, *SIZES, "--seed", "7")
    first = snapshot()
    seed(capsys, *SIZES, "--seed", "7", "--flush")
    assert snapshot() == first
    seed(capsys, *SIZES, "--seed", "8", "--flush")
    assert snapshot() != first
    assert counts() == (12, 5, 40, 15)


def test_seeding_again_without_flush_adds_to_the_data(capsys):
    seed(capsys, *SIZES, "--seed", "7")
    seed(capsys, *SIZES, "--seed", "7")  # the same emails and part names: variants are used
    assert counts() == (24, 10, 80, 30)
    assert Customer.objects.values("email").distinct().count() == 24


def test_flush_replaces_every_shop_row(capsys, make_customer, make_mechanic, make_item, make_ticket):
    old_customer, old_mechanic, old_item = make_customer(), make_mechanic(), make_item()
    make_ticket(customer=old_customer, mechanics=[old_mechanic], parts=[(old_item, 1)])
    seed(capsys, *SIZES, "--flush")
    assert counts() == (12, 5, 40, 15)
    assert not Customer.objects.filter(pk=old_customer.pk).exists()
    assert not Mechanic.objects.filter(pk=old_mechanic.pk).exists()
    assert not Inventory.objects.filter(pk=old_item.pk).exists()


def test_flush_with_nothing_to_seed_empties_the_tables(capsys):
    seed(capsys, *SIZES)
    seed(capsys, *NOTHING, "--flush")
    assert counts() == (0, 0, 0, 0)
    assert (TicketMechanic.objects.count(), TicketInventory.objects.count()) == (0, 0)


def test_if_empty_leaves_existing_data_alone(capsys, make_customer):
    customer = make_customer()
    out = seed(capsys, *SIZES, "--if-empty")
    assert counts() == (1, 0, 0, 0)
    assert list(Customer.objects.all()) == [customer]
    assert "nothing seeded" in out


def test_if_empty_seeds_an_empty_database(capsys):
    seed(capsys, *SIZES, "--if-empty")
    assert counts() == (12, 5, 40, 15)


@pytest.mark.parametrize(
    "args",
    [
        ["--customers", "-1"],
        ["--customers", "0", "--tickets", "5"],
    ],
)
def test_impossible_sizes_are_refused(args):
    with pytest.raises(CommandError):
        call_command("seed_shop", *args)
    assert counts() == (0, 0, 0, 0)


def test_flush_refuses_the_tokens_of_customers_it_deleted(capsys, client_for):
    seed(capsys, *SIZES, "--seed", "5")
    customer = Customer.objects.filter(tickets__isnull=False).first()
    client = client_for(customer)
    assert client.get("/tickets/my-tickets").status_code == 200  # the customer is now cached
    assert client.get("/tickets/my-tickets").status_code == 200
    seed(capsys, *NOTHING, "--flush")
    assert client.get("/tickets/my-tickets").status_code == 401


def test_cached_reads_are_fresh_after_a_seed(capsys, staff_client, throttling_off):
    assert staff_client.get("/mechanics").json() == []
    assert "Age" in staff_client.get("/mechanics")
    seed(capsys, *SIZES)
    assert len(staff_client.get("/mechanics").json()) == 5


# --- VINs -------------------------------------------------------------------------------------------


def test_random_vins_are_valid():
    rng = random.Random(1)
    for _ in range(200):
        vin = random_vin(rng)
        assert is_valid_vin(vin)


# --- demo logins: DEBUG on -------------------------------------------------------------------------


def test_with_debug_on_the_known_staff_login_is_created_and_printed(capsys, debug_on, api_client):
    out = seed(capsys, *SIZES)
    staff = get_user_model().objects.get(username=DEMO_STAFF_USERNAME)
    assert staff.is_staff and staff.is_active and staff.check_password(DEVELOPMENT_STAFF_PASSWORD)
    assert printed_login(out, "/auth/login") == {"username": "admin", "password": "shop-admin-demo"}
    response = api_client.post("/auth/login", {"username": "admin", "password": "shop-admin-demo"}, format="json")
    assert response.status_code == 200 and response.json()["auth_token"]


def test_with_debug_on_demo_customers_sign_in_with_the_known_password(capsys, debug_on, api_client):
    out = seed(capsys, *SIZES)
    login = printed_login(out, "/customers/login")
    assert login["password"] == DEVELOPMENT_CUSTOMER_PASSWORD == "demo-customer-pass"
    assert Customer.objects.filter(email=login["email"]).exists()
    response = api_client.post("/customers/login", login, format="json")
    assert response.status_code == 200 and response.json()["auth_token"]
    other = Customer.objects.order_by("-id").first()
    assert other.check_password(DEVELOPMENT_CUSTOMER_PASSWORD)


def test_with_debug_on_a_second_run_prints_the_logins_again(capsys, debug_on):
    seed(capsys, *SIZES, "--if-empty")
    out = seed(capsys, *SIZES, "--if-empty")
    assert "nothing seeded" in out
    assert printed_login(out, "/auth/login") == {"username": "admin", "password": "shop-admin-demo"}
    assert printed_login(out, "/customers/login")["email"] == Customer.objects.order_by("id").first().email
    assert get_user_model().objects.filter(username=DEMO_STAFF_USERNAME).count() == 1


def test_the_printed_customer_is_a_demo_customer_not_an_existing_one(capsys, debug_on, make_customer):
    existing = make_customer()
    out = seed(capsys, *SIZES)
    login = printed_login(out, "/customers/login")
    assert login["email"] != existing.email
    assert Customer.objects.get(email=login["email"]).check_password(login["password"])


def test_known_passwords_are_not_printed_for_accounts_that_do_not_have_them(
    capsys, debug_on, make_staff, make_customer
):
    make_staff(username=DEMO_STAFF_USERNAME, password="something-else-entirely")
    make_customer()  # a real customer, with a password of their own
    out = seed(capsys, *SIZES, "--if-empty")
    assert printed_login(out, "/auth/login") is None
    assert printed_login(out, "/customers/login") is None


# --- demo logins: DEBUG off (the default) ------------------------------------------------------------


def test_with_debug_off_no_staff_login_is_created_or_printed(capsys, settings):
    assert settings.DEBUG is False
    out = seed(capsys, *SIZES)
    assert not get_user_model().objects.filter(username=DEMO_STAFF_USERNAME).exists()
    assert not get_user_model().objects.exists()
    assert DEVELOPMENT_STAFF_PASSWORD not in out and DEVELOPMENT_CUSTOMER_PASSWORD not in out
    assert "password" not in out


def test_with_debug_off_demo_customers_cannot_sign_in_with_the_development_password(capsys, api_client):
    seed(capsys, *SIZES)
    customer = Customer.objects.order_by("id").first()
    assert not customer.check_password(DEVELOPMENT_CUSTOMER_PASSWORD)
    response = api_client.post(
        "/customers/login", {"email": customer.email, "password": DEVELOPMENT_CUSTOMER_PASSWORD}, format="json"
    )
    assert response.status_code == 401


def test_with_debug_off_demo_accounts_get_generated_passwords_that_are_printed(capsys, api_client):
    out = seed(capsys, *SIZES, "--demo-accounts")
    staff_login = printed_login(out, "/auth/login")
    customer_login = printed_login(out, "/customers/login")
    assert staff_login["username"] == DEMO_STAFF_USERNAME
    assert staff_login["password"] != DEVELOPMENT_STAFF_PASSWORD and len(staff_login["password"]) >= 12
    assert customer_login["password"] != DEVELOPMENT_CUSTOMER_PASSWORD and len(customer_login["password"]) >= 12
    assert staff_login["password"] != customer_login["password"]

    assert api_client.post("/auth/login", staff_login, format="json").status_code == 200
    assert api_client.post("/customers/login", customer_login, format="json").status_code == 200
    refused = {"username": DEMO_STAFF_USERNAME, "password": DEVELOPMENT_STAFF_PASSWORD}
    assert api_client.post("/auth/login", refused, format="json").status_code == 401


def test_with_debug_off_generated_passwords_differ_between_runs_and_are_printed_once(capsys):
    first = seed(capsys, *SIZES, "--demo-accounts", "--flush")
    second = seed(capsys, *SIZES, "--demo-accounts", "--flush")
    assert printed_login(first, "/auth/login") is not None
    assert printed_login(second, "/auth/login") is None  # the staff login exists: its password is not reset
    staff = get_user_model().objects.get(username=DEMO_STAFF_USERNAME)
    assert staff.check_password(printed_login(first, "/auth/login")["password"])
    assert printed_login(first, "/customers/login")["password"] != printed_login(second, "/customers/login")["password"]


def test_with_debug_off_nothing_seeded_prints_no_login(capsys, make_customer):
    make_customer()
    out = seed(capsys, *SIZES, "--demo-accounts", "--if-empty")
    assert printed_login(out, "/customers/login") is None


# --- a shop with history: vehicles, statuses, lines, invoices, payments, stock ------------------


def test_tickets_come_in_every_status_with_a_history_that_leads_there(capsys):
    seed(capsys, "--customers", "30", "--mechanics", "4", "--tickets", "400", "--parts", "20")
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Status.values)
    histories = {}
    for change in StatusChange.objects.order_by("ticket_id", "id"):
        histories.setdefault(change.ticket_id, []).append(change)
    for ticket in Ticket.objects.all():
        history = histories[ticket.pk]
        assert history[0].from_status is None and history[-1].to_status == ticket.status
        assert all(a.to_status == b.from_status and a.at < b.at for a, b in pairwise(history))


def test_invoices_freeze_the_totals_of_their_lines_and_closed_tickets_are_paid(capsys):
    seed(capsys, "--customers", "20", "--mechanics", "4", "--tickets", "300", "--parts", "20")
    invoiced = Ticket.objects.filter(status__in=[Status.INVOICED, Status.CLOSED])
    assert invoiced.exists() and Invoice.objects.count() == invoiced.count()
    assert TicketLine.objects.filter(kind="labor").exists() and TicketLine.objects.filter(kind="fee").exists()
    cent = Decimal("0.01")
    for invoice in Invoice.objects.select_related("ticket"):
        ticket = invoice.ticket
        parts = sum((p.quantity * p.unit_price for p in ticket.part_lines.all()), Decimal(0))
        lines = sum(
            ((line.quantity * line.unit_price).quantize(cent, ROUND_HALF_UP) for line in ticket.lines.all()), Decimal(0)
        )
        assert invoice.subtotal == parts + lines == invoice.parts + invoice.labor + invoice.fees
        assert invoice.total == invoice.subtotal + invoice.tax
        paid = ticket.payments.aggregate(total=Sum("amount"))["total"] or Decimal(0)
        if ticket.status == Status.CLOSED:
            assert paid == invoice.total
        else:
            assert paid < invoice.total or invoice.total == 0
    assert not Payment.objects.exclude(ticket__status__in=[Status.INVOICED, Status.CLOSED]).exists()


def test_invoice_numbers_grow_with_the_invoicing_date(capsys):
    seed(capsys, "--customers", "10", "--mechanics", "2", "--tickets", "200", "--parts", "5")
    dates = list(Invoice.objects.order_by("id").values_list("ticket__service_date", flat=True))
    assert dates == sorted(dates)


def test_tickets_belong_to_their_customers_vehicles_whose_mileage_is_the_highest_reading(capsys):
    seed(capsys, "--customers", "15", "--mechanics", "2", "--tickets", "150", "--parts", "5")
    assert Vehicle.objects.exists()
    for ticket in Ticket.objects.select_related("vehicle"):
        assert ticket.vehicle is not None and ticket.vehicle.customer_id == ticket.customer_id
        assert ticket.vin == ticket.vehicle.vin
        assert ticket.mileage_out is None or ticket.mileage_out >= ticket.mileage_in
    for vehicle in Vehicle.objects.all():
        vehicle.full_clean()
        highest = vehicle.tickets.aggregate(m=Max("mileage_out"))["m"]
        assert vehicle.mileage == highest


def test_most_parts_are_counted_some_are_low_and_every_ledger_sums_to_the_shelf(capsys):
    seed(capsys, "--customers", "5", "--mechanics", "2", "--tickets", "10", "--parts", "60")
    counted = Inventory.objects.filter(quantity_on_hand__isnull=False)
    assert counted.count() > Inventory.objects.count() // 2
    assert counted.filter(quantity_on_hand__lte=F("reorder_point")).exists()
    assert counted.filter(quantity_on_hand__gt=F("reorder_point")).exists()
    ledger = dict(StockMovement.objects.values("item").annotate(total=Sum("quantity")).values_list("item", "total"))
    for item in Inventory.objects.all():
        assert ledger.get(item.pk, 0) == (item.quantity_on_hand or 0)


def test_flush_also_removes_vehicles_lines_history_invoices_payments_and_the_ledger(capsys):
    seed(capsys, *SIZES)
    seed(capsys, *NOTHING, "--flush")
    for model in (Vehicle, TicketLine, StatusChange, Invoice, Payment, StockMovement):
        assert not model.objects.exists(), model


def test_the_default_demo_fills_the_dashboards_last_month_and_every_move_lies_in_the_past(capsys):
    """`make run`'s demo (the default sizes): the newest tickets came in a week ago, whatever day it
    is seeded, and the month's revenue chart has invoices on most of its days."""
    seed(capsys)
    today = timezone.localdate()

    newest = Ticket.objects.aggregate(newest=Max("service_date"))["newest"]
    revenue = revenue_per_day(first=today - timedelta(days=29), last=today)

    assert newest == today - timedelta(days=SETTLE_DAYS)
    assert not StatusChange.objects.filter(at__gt=timezone.now()).exists()
    assert not Invoice.objects.filter(issued_at__gt=timezone.now()).exists()
    assert sum(1 for _, total in revenue if total) >= 10, revenue


@pytest.mark.parametrize(("tickets", "span"), [(0, 30), (40, 30), (200, 50), (20_000, DAYS), (1_000_000, DAYS)])
def test_tickets_span_about_four_a_day_between_a_month_and_the_longest_history(tickets, span):
    today = date(2026, 12, 6)

    first, days = first_service_day(tickets, today=today)

    assert days == span
    assert first + timedelta(days=days - 1) == today - timedelta(days=SETTLE_DAYS)


def test_every_approved_ticket_has_the_total_its_customer_approved(capsys, staff_client):
    seed(capsys, *SIZES)
    approved = Ticket.objects.exclude(status__in=[Status.ESTIMATE, Status.CANCELLED])
    declined_or_waiting = Ticket.objects.filter(status__in=[Status.ESTIMATE])

    assert approved.exists() and not approved.filter(approved_total__isnull=True).exists()
    assert not declined_or_waiting.exclude(approved_total__isnull=True).exists()
    for ticket in approved:
        body = staff_client.get(f"/tickets/{ticket.pk}").json()
        assert Decimal(body["approved_total"]) == Decimal(body["totals"]["total"]) and body["needs_approval"] is False
