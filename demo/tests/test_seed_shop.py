import pytest
from django.core.management import call_command
from django.db.models import Count

from core.demo import DEMO_STAFF_USERNAME, random_vin, vin_check_digit
from customers.models import Customer
from inventory.models import Inventory
from mechanics.models import Mechanic
from tickets.models import Ticket, TicketInventory, TicketMechanic
from tickets.serializers import VIN_PATTERN

SIZES = ["--customers", "12", "--mechanics", "5", "--tickets", "40", "--parts", "15"]


def snapshot() -> dict:
    """The seeded data without database ids, which differ between runs."""
    return {
        "customers": list(Customer.objects.order_by("id").values_list("name", "email", "phone")),
        "mechanics": list(Mechanic.objects.order_by("id").values_list("name", "email", "salary")),
        "parts": list(Inventory.objects.order_by("id").values_list("name", "price")),
        "tickets": [
            (t.vin, t.service_date, t.service_description, t.customer.email,
             sorted(m.email for m in t.mechanics.all()),
             sorted((line.inventory.name, line.quantity) for line in t.part_lines.all()))
            for t in Ticket.objects.order_by("id").select_related("customer").prefetch_related("mechanics", "part_lines__inventory")
        ],
    }


@pytest.mark.django_db
def test_seed_creates_the_requested_counts_and_a_staff_login(capsys):
    call_command("seed_shop", *SIZES)
    assert (Customer.objects.count(), Mechanic.objects.count(), Ticket.objects.count(), Inventory.objects.count()) == (12, 5, 40, 15)
    out = capsys.readouterr().out
    assert DEMO_STAFF_USERNAME in out and "/customers/login" in out
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.get(username=DEMO_STAFF_USERNAME).is_staff


@pytest.mark.django_db
def test_same_seed_gives_the_same_data():
    call_command("seed_shop", *SIZES, "--seed", "7")
    first = snapshot()
    call_command("seed_shop", *SIZES, "--seed", "7", "--flush")
    assert snapshot() == first
    call_command("seed_shop", *SIZES, "--seed", "8", "--flush")
    assert snapshot() != first


@pytest.mark.django_db
def test_seeded_data_keeps_the_model_rules():
    call_command("seed_shop", *SIZES, "--seed", "3")
    for ticket in Ticket.objects.all():
        ticket.full_clean()
        assert VIN_PATTERN.match(ticket.vin) and len(ticket.vin) == 17
        assert ticket.vin[8] == vin_check_digit(ticket.vin)
    for model in (Customer, Mechanic, Inventory, TicketInventory):
        for obj in model.objects.all():
            obj.full_clean(exclude=["password"])
    assert all(c.email == c.email.lower() for c in Customer.objects.all())
    assert not TicketMechanic.objects.values("ticket", "mechanic").annotate(n=Count("id")).filter(n__gt=1).exists()


@pytest.mark.django_db
def test_if_empty_leaves_existing_data_alone(make_customer):
    make_customer()
    call_command("seed_shop", *SIZES, "--if-empty")
    assert Customer.objects.count() == 1 and Ticket.objects.count() == 0


def test_vin_check_digit_matches_a_known_vin():
    # 1M8GDM9AXKP042788 is the textbook example of a valid North American VIN.
    assert vin_check_digit("1M8GDM9A_KP042788".replace("_", "0")) == "X"


def test_random_vins_are_valid():
    import random

    rng = random.Random(1)
    for _ in range(200):
        vin = random_vin(rng)
        assert VIN_PATTERN.match(vin) and vin[8] == vin_check_digit(vin)


@pytest.mark.django_db
def test_flush_empties_the_tables_and_refuses_the_tokens_of_customers_it_deleted(client_for):
    call_command("seed_shop", *SIZES, "--seed", "5")
    customer = Customer.objects.filter(tickets__isnull=False).first()
    client = client_for(customer)
    assert client.get("/tickets/my-tickets").status_code == 200  # the customer is now cached
    assert client.get("/tickets/my-tickets").status_code == 200

    call_command("seed_shop", "--customers", "0", "--mechanics", "0", "--tickets", "0", "--parts", "0", "--flush")

    assert client.get("/tickets/my-tickets").status_code == 401
    assert (Ticket.objects.count(), TicketMechanic.objects.count(), TicketInventory.objects.count(), Customer.objects.count()) == (0, 0, 0, 0)
