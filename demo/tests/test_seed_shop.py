"""The seed_shop command: the sizes asked for, --flush, --if-empty, --seed, and demo logins that
exist with known passwords only on a development machine (DEBUG on)."""

import json
import random
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count

from customers.models import Customer
from demo.data import (
    DEMO_STAFF_USERNAME,
    DEVELOPMENT_CUSTOMER_PASSWORD,
    DEVELOPMENT_STAFF_PASSWORD,
    random_vin,
    vin_check_digit,
)
from inventory.models import Inventory
from mechanics.models import Mechanic
from tickets.models import Ticket, TicketInventory, TicketMechanic
from tickets.serializers import VIN_PATTERN

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
            (t.vin, t.service_date, t.service_description, t.customer.email,
             sorted(m.email for m in t.mechanics.all()),
             sorted((line.inventory.name, line.quantity) for line in t.part_lines.all()))
            for t in Ticket.objects.order_by("id").select_related("customer").prefetch_related("mechanics", "part_lines__inventory")
        ],
    }


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


# --- sizes, reproducibility, --flush, --if-empty ------------------------------------------------


def test_seed_creates_the_requested_counts(capsys):
    out = seed(capsys, *SIZES)
    assert counts() == (12, 5, 40, 15)
    assert "Seeded: 12 customers, 5 mechanics, 15 parts, 40 tickets" in out
    assert TicketMechanic.objects.exists() and TicketInventory.objects.exists()


def test_seeded_data_keeps_the_model_rules(capsys):
    seed(capsys, *SIZES, "--seed", "3")
    for ticket in Ticket.objects.all():
        ticket.full_clean()
        assert VIN_PATTERN.match(ticket.vin) and len(ticket.vin) == 17
        assert ticket.vin[8] == vin_check_digit(ticket.vin)
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


def test_vin_check_digit_matches_a_known_vin():
    # 1M8GDM9AXKP042788 is the textbook example of a valid North American VIN.
    assert vin_check_digit("1M8GDM9A0KP042788") == "X"
    assert vin_check_digit("1HGCM82633A004352") == "3"


def test_random_vins_are_valid():
    rng = random.Random(1)
    for _ in range(200):
        vin = random_vin(rng)
        assert VIN_PATTERN.match(vin) and len(vin) == 17 and vin[8] == vin_check_digit(vin)


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


def test_known_passwords_are_not_printed_for_accounts_that_do_not_have_them(capsys, debug_on, make_staff, make_customer):
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
