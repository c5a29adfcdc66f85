"""The Django admin at /admin/, as a superuser uses it: the changelist, add form and change form
of every registered model render; search finds records; a customer's password set in the admin
is validated and stored hashed, never shown. (Sign-in limits on the admin's login and tokens
ended by an admin password change are tested in accounts/tests.)"""

import pytest
from django.contrib import admin
from django.contrib.auth.hashers import identify_hasher
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.tokens import tokens_for_staff
from core.admin_services import SECRET_FIELD_NAMES, NoSecretLookups
from customers.models import Customer
from events.services import record_event
from notifications.models import Email, EstimateLink
from tickets.models import TicketInventory
from vehicles.models import Vehicle
from webhooks.models import Delivery, Subscription


@pytest.fixture
def shop(make_ticket, make_mechanic, make_item, make_customer, superuser):
    mechanic = make_mechanic(name="Grease Monkey")
    item = make_item(name="Spark plug")
    customer = make_customer(name="Ada Lovelace", email="ada@example.com")
    vehicle = Vehicle.objects.create(
        customer=customer, vin="JH4KA7561PC008269", year=1993, make="Acura", model="Legend"
    )
    ticket = make_ticket(
        customer=customer, mechanics=[mechanic], parts=[(item, 4)], vin="JH4KA7561PC008269", vehicle=vehicle
    )
    # A record of every other registered model, so every change form has one to show.
    Group.objects.create(name="Front desk")
    tokens_for_staff(superuser).blacklist()
    with transaction.atomic():
        event = record_event(type="customer.created", data={"id": customer.pk})
    subscription = Subscription.objects.create(
        url="https://hooks.example.com/in", url_digest="0" * 64, events=["*"], secret="whsec_0"
    )
    Delivery.objects.create(subscription=subscription, event=event)
    link = EstimateLink.objects.create(ticket=ticket, purpose="estimate", total="19.99")
    Email.objects.create(kind="estimate", to=customer.email, ticket=ticket, link=link)
    return {"mechanic": mechanic, "item": item, "customer": customer, "ticket": ticket}


REGISTERED = sorted(f"{model._meta.app_label}/{model._meta.model_name}" for model in admin.site._registry)


def test_the_shops_models_are_registered():
    assert {
        "customers/customer",
        "mechanics/mechanic",
        "inventory/inventory",
        "tickets/ticket",
        "tickets/ticketmechanic",
        "tickets/ticketinventory",
        "vehicles/vehicle",
        "auth/user",
    } <= set(REGISTERED)


@pytest.mark.parametrize("model", REGISTERED)
def test_changelist_and_forms_render(admin_browser, shop, model):
    model_class = next(m for m in admin.site._registry if f"{m._meta.app_label}/{m._meta.model_name}" == model)
    model_admin = admin.site._registry[model_class]
    record = model_class._default_manager.order_by("pk").first()
    assert record is not None, f"no {model} to open"

    changelist = admin_browser.get(f"/admin/{model}/")
    change = admin_browser.get(f"/admin/{model}/{record.pk}/change/")

    assert changelist.status_code == 200
    assert change.status_code == 200
    assert f"/admin/{model}/{record.pk}/change/" in changelist.content.decode()
    if model_admin.has_add_permission(_request_for(admin_browser)):
        assert admin_browser.get(f"/admin/{model}/add/").status_code == 200


def _request_for(client: Client):
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    return request


def test_the_index_lists_the_shops_records(admin_browser, shop):
    html = admin_browser.get(reverse("admin:index")).content.decode()

    for name in ("Customers", "Mechanics", "Inventory", "Tickets"):
        assert name in html


@pytest.mark.parametrize(
    ("model", "term", "expected"),
    [
        ("tickets/ticket", "JH4KA7561", "JH4KA7561PC008269"),
        ("tickets/ticket", "ada@example", "JH4KA7561PC008269"),
        ("customers/customer", "Lovelace", "ada@example.com"),
        ("mechanics/mechanic", "Grease", "Grease Monkey"),
        ("inventory/inventory", "spark", "Spark plug"),
        ("vehicles/vehicle", "legend", "JH4KA7561PC008269"),
    ],
)
def test_search_finds_records(admin_browser, shop, model, term, expected):
    response = admin_browser.get(f"/admin/{model}/", {"q": term})
    assert response.status_code == 200
    assert expected in response.content.decode()


def test_ticket_list_shows_customer_and_mechanics(admin_browser, shop):
    html = admin_browser.get("/admin/tickets/ticket/").content.decode()
    assert "Grease Monkey" in html
    assert "Ada Lovelace" in html


def test_ticket_changelist_queries_do_not_grow_with_rows(
    admin_browser, shop, make_ticket, make_mechanic, django_assert_max_num_queries
):
    admin_browser.get("/admin/tickets/ticket/")  # warm the session and content types
    with django_assert_max_num_queries(20) as small:
        admin_browser.get("/admin/tickets/ticket/")
    mechanics = [make_mechanic() for _ in range(3)]
    for _ in range(30):
        make_ticket(mechanics=mechanics)
    with django_assert_max_num_queries(len(small.captured_queries)):
        admin_browser.get("/admin/tickets/ticket/")


# --- customers' passwords ------------------------------------------------------------------------


def test_customer_password_is_set_hashed_and_never_shown(admin_browser, shop):
    customer = shop["customer"]
    url = f"/admin/customers/customer/{customer.pk}/change/"
    page = admin_browser.get(url).content.decode()
    assert customer.password not in page
    response = admin_browser.post(
        url,
        {
            "name": customer.name,
            "email": "ADA@example.com",
            "phone": customer.phone,
            "new_password": "Brand-New-Secret-9",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    customer.refresh_from_db()
    assert customer.email == "ada@example.com"
    assert customer.check_password("Brand-New-Secret-9")
    assert "Brand-New-Secret-9" not in customer.password
    identify_hasher(customer.password)  # a hash Django knows, not the text
    assert "Brand-New-Secret-9" not in admin_browser.get(url).content.decode()


def test_a_customer_added_in_the_admin_gets_a_hashed_password_and_can_sign_in(admin_browser, api_client, db):
    response = admin_browser.post(
        "/admin/customers/customer/add/",
        {"name": "Bea", "email": "Bea@Example.com", "phone": "555", "new_password": "Admin-Set-Pass-77"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    customer = Customer.objects.get(email="bea@example.com")
    assert "Admin-Set-Pass-77" not in customer.password
    identify_hasher(customer.password)

    signed_in = api_client.post(
        "/customers/login", {"email": "bea@example.com", "password": "Admin-Set-Pass-77"}, format="json"
    )
    assert signed_in.status_code == 200


def test_saving_a_customer_without_a_new_password_keeps_the_old_one(admin_browser, shop):
    customer = shop["customer"]
    before = customer.password
    response = admin_browser.post(
        f"/admin/customers/customer/{customer.pk}/change/",
        {"name": "Ada King", "email": customer.email, "phone": customer.phone, "new_password": ""},
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.password) == ("Ada King", before)


@pytest.mark.parametrize("password", ["123", "password", "ada@example.com"])
def test_admin_refuses_weak_customer_password(admin_browser, password):
    response = admin_browser.post(
        "/admin/customers/customer/add/",
        {"name": "Bob", "email": "bob@example.com", "phone": "555", "new_password": password},
    )
    assert response.status_code == 200
    assert not Customer.objects.filter(email="bob@example.com").exists()


def test_a_new_customer_needs_a_password(admin_browser):
    response = admin_browser.post(
        "/admin/customers/customer/add/", {"name": "Bob", "email": "bob@example.com", "phone": "555"}
    )
    assert response.status_code == 200
    assert not Customer.objects.exists()


# --- freshness and access ----------------------------------------------------------------------------


def test_admin_edit_is_visible_at_once_through_the_cached_api(admin_browser, shop, staff_client):
    mechanic = shop["mechanic"]
    assert staff_client.get(f"/mechanics/{mechanic.pk}").json()["name"] == "Grease Monkey"
    response = admin_browser.post(
        f"/admin/mechanics/mechanic/{mechanic.pk}/change/",
        {"name": "Wrench Wizard", "email": mechanic.email, "phone": mechanic.phone, "salary": "60000.00"},
    )
    assert response.status_code == 302
    assert staff_client.get(f"/mechanics/{mechanic.pk}").json()["name"] == "Wrench Wizard"


def test_admin_index_needs_a_signed_in_staff_user(db, make_staff, make_customer):
    assert Client().get(reverse("admin:index")).status_code == 302
    not_staff = Client()
    not_staff.force_login(make_staff(username="plain-user", is_staff=False))
    assert not_staff.get(reverse("admin:index")).status_code == 302


# --- no changelist filters on a password -----------------------------------------------------------
# A filter on a password (`?password__startswith=argon2`) would let staff read every hash a character
# at a time from the result counts. Django refuses a lookup its ModelAdmin does not allow with
# DisallowedModelAdminLookup, a 400.


@pytest.mark.parametrize(
    ("model", "query"),
    [
        ("customers/customer", "password__startswith=argon2"),
        ("customers/customer", "password=x"),
        ("customers/customer", "password__regex=%5Eargon"),
        ("customers/customer", "password__gt=m"),
        ("customers/customer", "password__contains=%24"),
        ("auth/user", "password__startswith=md5"),
        ("auth/group", "user__password__startswith=md5"),
        ("tickets/ticket", "customer__password__startswith=argon2"),
        ("vehicles/vehicle", "customer__password__startswith=argon2"),
        ("tickets/ticketmechanic", "ticket__customer__password__startswith=argon2"),
        ("tickets/ticketinventory", "ticket__customer__password__startswith=argon2"),
    ],
)
def test_a_changelist_filter_on_a_password_is_400(admin_browser, shop, model, query):
    response = admin_browser.get(f"/admin/{model}/?{query}")

    assert response.status_code == 400
    assert "argon2" not in response.content.decode()


def test_the_customers_changelist_still_filters_on_other_fields(admin_browser, shop):
    response = admin_browser.get("/admin/customers/customer/?email__startswith=ada")

    assert response.status_code == 200
    assert "ada@example.com" in response.content.decode()


def _paths_to_secrets(model, depth: int = 3, prefix: str = "") -> list[str]:
    """Every lookup path from `model` to a secret field, following at most `depth` relations."""
    paths = []
    for field in model._meta.get_fields():
        if field.name in SECRET_FIELD_NAMES:
            paths.append(prefix + field.name)
        elif field.is_relation and field.related_model is not None and depth:
            paths += _paths_to_secrets(field.related_model, depth - 1, f"{prefix}{field.name}__")
    return paths


ADMINS = [pytest.param(model, id=f"{model._meta.app_label}/{model._meta.model_name}") for model in admin.site._registry]


@pytest.mark.parametrize("model", ADMINS)
def test_every_admin_page_refuses_filters_that_reach_a_secret(superuser, model):
    model_admin = admin.site.get_model_admin(model)
    request = RequestFactory().get("/admin/")
    request.user = superuser
    paths = _paths_to_secrets(model)

    assert isinstance(model_admin, NoSecretLookups)
    assert [path for path in paths if model_admin.lookup_allowed(f"{path}__startswith", "a", request)] == []
    assert model_admin.lookup_allowed("pk", "1", request)


def test_the_walk_finds_the_secrets_it_guards():
    assert "password" in _paths_to_secrets(Customer)
    assert "customer__password" in _paths_to_secrets(Vehicle)
    assert "ticket__customer__password" in _paths_to_secrets(TicketInventory)
