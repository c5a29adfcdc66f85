"""The /tickets endpoints as an API client sees them (API.md, "Ticket")."""

from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from core.tests.asserts import assert_error
from core.throttling import ScopedRateThrottle
from tickets.models import Ticket, TicketInventory, TicketMechanic

FIXED_NOW = 1_000_000.0  # 800 s before an hour boundary (278 * 3600 = 1_000_800)
BIG_ID = 2**70


def ticket_json(ticket: Ticket) -> dict:
    return {
        "id": ticket.pk,
        "VIN": ticket.vin,
        "service_date": ticket.service_date.isoformat(),
        "service_description": ticket.service_description,
        "customer_id": ticket.customer_id,
        "mechanics": [{"id": m.pk, "name": m.name} for m in ticket.mechanics.order_by("id")],
        "parts": [
            {
                "inventory_id": line.inventory_id,
                "name": line.inventory.name,
                "price": float(line.inventory.price),
                "quantity": line.quantity,
            }
            for line in ticket.part_lines.select_related("inventory").order_by("inventory_id")
        ],
    }


def mechanic_ids(ticket: Ticket) -> list[int]:
    return sorted(TicketMechanic.objects.filter(ticket=ticket).values_list("mechanic_id", flat=True))


def part_lines(ticket: Ticket) -> dict[int, int]:
    return dict(TicketInventory.objects.filter(ticket=ticket).values_list("inventory_id", "quantity"))


@pytest.fixture
def no_throttling(settings):
    settings.THROTTLING_ENABLED = False


@pytest.fixture
def new_ticket(customer) -> dict:
    return {
        "VIN": "1hgcm82633a004352",
        "service_date": "2026-11-25",
        "service_description": "Oil change",
        "customer_id": customer.pk,
    }


# --- who may call -------------------------------------------------------------------------------

STAFF_ONLY = [
    ("get", "/tickets"),
    ("put", "/tickets/{id}/assign-mechanic/{mid}"),
    ("put", "/tickets/{id}/remove-mechanic/{mid}"),
    ("put", "/tickets/{id}/update-mechanics"),
    ("post", "/tickets/{id}/inventory"),
]
EVERY_ENDPOINT = [
    *STAFF_ONLY,
    ("get", "/tickets/{id}"),
    ("get", "/tickets/my-tickets"),
    ("post", "/tickets"),
    ("put", "/tickets/{id}"),
    ("patch", "/tickets/{id}"),
]


@pytest.fixture
def assigned(make_ticket, make_mechanic, customer):
    mechanic = make_mechanic()
    return make_ticket(customer=customer, mechanics=[mechanic]), mechanic


@pytest.mark.parametrize("method, path", EVERY_ENDPOINT)
def test_anonymous_callers_get_401_with_bearer_challenge(api_client, assigned, new_ticket, method, path):
    ticket, mechanic = assigned
    response = getattr(api_client, method)(path.format(id=ticket.pk, mid=mechanic.pk), new_ticket, format="json")
    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("method, path", STAFF_ONLY)
def test_customers_get_403_on_staff_only_endpoints_even_for_own_ticket(
    customer_client, assigned, make_item, method, path
):
    ticket, mechanic = assigned
    item = make_item()
    body = {"add_inventory_items": [{"inventory_id": item.pk}], "remove_mechanic_ids": [mechanic.pk]}
    response = getattr(customer_client, method)(path.format(id=ticket.pk, mid=mechanic.pk), body, format="json")
    assert_error(response, 403)
    assert mechanic_ids(ticket) == [mechanic.pk]
    assert part_lines(ticket) == {}


def test_staff_get_403_on_my_tickets(staff_client):
    assert_error(staff_client.get("/tickets/my-tickets"), 403)


def test_cached_list_is_not_served_to_a_customer(staff_client, customer_client, make_ticket, no_throttling):
    make_ticket()
    assert staff_client.get("/tickets").status_code == 200
    assert staff_client.get("/tickets")["X-Cache"] == "hit"
    assert_error(customer_client.get("/tickets"), 403)


# --- list and retrieve ------------------------------------------------------------------------


@pytest.fixture
def full_ticket(make_ticket, make_mechanic, make_item, customer):
    """A ticket with two mechanics and two parts, created out of id order."""
    m1, m2 = make_mechanic(name="Ada"), make_mechanic(name="Linus")
    i1, i2 = make_item(name="Brake pad", price=Decimal("49.99")), make_item(name="Oil filter", price=Decimal("7.50"))
    return make_ticket(customer=customer, mechanics=[m2, m1], parts=[(i2, 3), (i1, 1)])


@pytest.mark.parametrize("path", ["/tickets", "/tickets/"])
def test_list_returns_every_ticket_with_mechanics_and_parts(staff_client, full_ticket, make_ticket, path):
    other = make_ticket(vin="JH4KA7561PC008269", service_date=date(2026, 1, 2))
    response = staff_client.get(path)
    assert response.status_code == 200
    m1, m2 = full_ticket.mechanics.order_by("id")
    i1, i2 = full_ticket.parts.order_by("id")
    assert response.json() == [
        {
            "id": full_ticket.pk,
            "VIN": "1HGCM82633A004352",
            "service_date": "2026-11-01",
            "service_description": "Oil change",
            "customer_id": full_ticket.customer_id,
            "mechanics": [{"id": m1.pk, "name": "Ada"}, {"id": m2.pk, "name": "Linus"}],
            "parts": [
                {"inventory_id": i1.pk, "name": "Brake pad", "price": 49.99, "quantity": 1},
                {"inventory_id": i2.pk, "name": "Oil filter", "price": 7.5, "quantity": 3},
            ],
        },
        ticket_json(other),
    ]
    assert all(isinstance(part["price"], float) for part in response.json()[0]["parts"])


def test_list_of_no_tickets_is_an_empty_array(staff_client):
    response = staff_client.get("/tickets")
    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("path", ["/tickets/{id}", "/tickets/{id}/"])
def test_staff_retrieve_any_ticket(staff_client, full_ticket, path):
    response = staff_client.get(path.format(id=full_ticket.pk))
    assert response.status_code == 200
    assert response.json() == ticket_json(full_ticket)


def test_customer_retrieves_own_ticket(customer_client, full_ticket):
    response = customer_client.get(f"/tickets/{full_ticket.pk}")
    assert response.status_code == 200
    assert response.json() == ticket_json(full_ticket)


def test_customer_cannot_retrieve_another_customers_ticket(customer_client, make_ticket):
    other = make_ticket()
    assert_error(customer_client.get(f"/tickets/{other.pk}"), 403)


@pytest.mark.parametrize("ticket_id", ["0", "999999", str(2**63 - 1), str(BIG_ID)])
@pytest.mark.parametrize("method", ["get", "put", "patch"])
def test_unknown_or_out_of_range_ticket_id_is_404(staff_client, make_ticket, new_ticket, method, ticket_id):
    make_ticket()
    assert_error(getattr(staff_client, method)(f"/tickets/{ticket_id}", new_ticket, format="json"), 404)


@pytest.mark.parametrize("path", ["/tickets/-1", "/tickets/abc", "/tickets/1.5", "/tickets/1/unknown-action"])
def test_unroutable_paths_are_json_404(staff_client, make_ticket, path):
    make_ticket()
    assert_error(staff_client.get(path), 404)


def test_list_after_a_change_is_not_served_stale_from_cache(staff_client, full_ticket, make_mechanic, no_throttling):
    extra = make_mechanic(name="Zed")
    assert staff_client.get("/tickets").json()[0]["mechanics"][-1]["name"] == "Linus"
    assert staff_client.get("/tickets")["X-Cache"] == "hit"
    assert staff_client.put(f"/tickets/{full_ticket.pk}/assign-mechanic/{extra.pk}").status_code == 200
    response = staff_client.get("/tickets")
    assert response["X-Cache"] == "miss"
    assert response.json()[0]["mechanics"][-1] == {"id": extra.pk, "name": "Zed"}
    assert (
        staff_client.patch(
            f"/inventory/{full_ticket.parts.order_by('id')[0].pk}", {"price": 1}, format="json"
        ).status_code
        == 200
    )
    assert staff_client.get("/tickets").json()[0]["parts"][0]["price"] == 1


def test_list_is_rate_limited_to_five_per_hour_by_default(staff_client, make_ticket, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "timer", staticmethod(lambda: FIXED_NOW))
    make_ticket()
    assert [staff_client.get("/tickets").status_code for _ in range(5)] == [200] * 5
    response = staff_client.get("/tickets/")
    assert_error(response, 429)
    assert response["Retry-After"] == "800"


# --- my-tickets -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/tickets/my-tickets", "/tickets/my-tickets/"])
def test_my_tickets_lists_only_the_callers_tickets(customer_client, customer, make_ticket, path):
    mine = [make_ticket(customer=customer), make_ticket(customer=customer, vin="JH4KA7561PC008269")]
    make_ticket()
    response = customer_client.get(path)
    assert response.status_code == 200
    assert response.json() == [ticket_json(t) for t in mine]


def test_my_tickets_of_a_customer_without_tickets_is_empty(customer_client, make_ticket):
    make_ticket()
    assert customer_client.get("/tickets/my-tickets").json() == []


# --- create -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/tickets", "/tickets/"])
def test_staff_create_ticket_for_a_customer(staff_client, new_ticket, customer, path):
    response = staff_client.post(path, new_ticket, format="json")
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert response.json() == {
        "id": ticket.pk,
        "VIN": "1HGCM82633A004352",
        "service_date": "2026-11-25",
        "service_description": "Oil change",
        "customer_id": customer.pk,
        "mechanics": [],
        "parts": [],
    }
    assert (ticket.vin, ticket.service_date, ticket.customer_id) == (
        "1HGCM82633A004352",
        date(2026, 11, 25),
        customer.pk,
    )


def test_staff_create_with_unknown_customer_is_404(staff_client, new_ticket):
    assert_error(staff_client.post("/tickets", {**new_ticket, "customer_id": 999999}, format="json"), 404)
    assert not Ticket.objects.exists()


def test_staff_create_without_customer_id_is_400(staff_client, new_ticket):
    del new_ticket["customer_id"]
    assert_error(staff_client.post("/tickets", new_ticket, format="json"), 400, "customer_id")
    assert not Ticket.objects.exists()


def test_customer_creates_ticket_for_themselves_without_customer_id(customer_client, customer, new_ticket):
    del new_ticket["customer_id"]
    response = customer_client.post("/tickets", new_ticket, format="json")
    assert response.status_code == 201
    assert response.json()["customer_id"] == customer.pk
    assert Ticket.objects.get().customer_id == customer.pk


def test_customer_may_name_themselves_as_customer(customer_client, customer, new_ticket):
    response = customer_client.post("/tickets", new_ticket, format="json")
    assert response.status_code == 201
    assert response.json()["customer_id"] == customer.pk


@pytest.mark.parametrize("whose", ["another", "unknown"])
def test_customer_cannot_open_a_ticket_for_someone_else(customer_client, make_customer, new_ticket, whose):
    other_id = make_customer().pk if whose == "another" else 999999
    assert_error(customer_client.post("/tickets", {**new_ticket, "customer_id": other_id}, format="json"), 403)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "sent, stored",
    [
        ("1hgcm82633a004352", "1HGCM82633A004352"),
        ("  abc123  ", "ABC123"),
        ("a", "A"),
        ("12345678901234567", "12345678901234567"),
    ],
)
def test_vin_is_stored_upper_case(staff_client, new_ticket, sent, stored):
    response = staff_client.post("/tickets", {**new_ticket, "VIN": sent}, format="json")
    assert response.status_code == 201
    assert response.json()["VIN"] == stored
    assert Ticket.objects.get().vin == stored


@pytest.mark.parametrize("description", ["Bremsbeläge gewechselt ✓", "🚗💨 oil + filter", "x" * 1000, "línea\nnueva"])
def test_description_round_trips_unchanged(staff_client, new_ticket, description):
    response = staff_client.post("/tickets", {**new_ticket, "service_description": description}, format="json")
    assert response.status_code == 201
    assert response.json()["service_description"] == description
    assert staff_client.get(f"/tickets/{response.json()['id']}").json()["service_description"] == description


@pytest.mark.parametrize("field", ["VIN", "service_date", "service_description"])
def test_missing_field_is_400_naming_it(staff_client, new_ticket, field):
    del new_ticket[field]
    assert_error(staff_client.post("/tickets", new_ticket, format="json"), 400, field)
    assert not Ticket.objects.exists()


BAD_VALUES = [
    ("VIN", None),
    ("VIN", ""),
    ("VIN", "   "),
    ("VIN", "1HGCM82633A0043521"),  # 18 characters
    ("VIN", "1HGCM82633A00435I"),
    ("VIN", "1HGCM82633A00435O"),
    ("VIN", "1HGCM82633A00435Q"),
    ("VIN", "1hgcm82633a00435q"),
    ("VIN", "1HGCM-82633"),
    ("VIN", "ÄBC123"),
    ("VIN", "ß" * 9),  # upper-cases to 18 letters
    ("VIN", "ABC\x00123"),
    ("VIN", True),
    ("VIN", ["1HGCM82633A004352"]),
    ("VIN", {"vin": "1HGCM82633A004352"}),
    ("service_date", None),
    ("service_date", ""),
    ("service_date", "tomorrow"),
    ("service_date", "2026-13-01"),
    ("service_date", "2026-02-30"),
    ("service_date", "25/11/2026"),
    ("service_date", 20261125),
    ("service_date", True),
    ("service_date", ["2026-11-25"]),
    ("service_description", None),
    ("service_description", ""),
    ("service_description", "   "),
    ("service_description", "x" * 1001),
    ("service_description", "oil\x00change"),
    ("service_description", ["Oil change"]),
    ("service_description", {"text": "Oil change"}),
    ("service_description", False),
    ("customer_id", None),
    ("customer_id", "abc"),
    ("customer_id", ""),
    ("customer_id", True),
    ("customer_id", 1.5),
    ("customer_id", 0),
    ("customer_id", -1),
    ("customer_id", BIG_ID),
    ("customer_id", [1]),
    ("customer_id", {"id": 1}),
]


@pytest.mark.parametrize("field, value", BAD_VALUES)
def test_create_rejects_bad_values_with_400_on_the_field(staff_client, new_ticket, field, value):
    assert_error(staff_client.post("/tickets", {**new_ticket, field: value}, format="json"), 400, field)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("field, value", BAD_VALUES)
def test_patch_rejects_bad_values_and_changes_nothing(staff_client, make_ticket, field, value):
    ticket = make_ticket()
    before = ticket_json(ticket)
    assert_error(staff_client.patch(f"/tickets/{ticket.pk}", {field: value}, format="json"), 400, field)
    ticket.refresh_from_db()
    assert ticket_json(ticket) == before


def test_read_only_and_unknown_fields_are_ignored_on_create(staff_client, new_ticket, make_mechanic, make_item):
    mechanic, item = make_mechanic(), make_item()
    body = {
        **new_ticket,
        "id": 12345,
        "mechanics": [{"id": mechanic.pk, "name": "x"}],
        "parts": [{"inventory_id": item.pk, "quantity": 2}],
        "colour": "red",
    }
    response = staff_client.post("/tickets", body, format="json")
    assert response.status_code == 201
    assert (response.json()["mechanics"], response.json()["parts"]) == ([], [])
    assert "colour" not in response.json()
    assert not TicketMechanic.objects.exists() and not TicketInventory.objects.exists()


# --- request bodies that are not a JSON object --------------------------------------------------

BODY_ENDPOINTS = [
    ("post", "/tickets"),
    ("put", "/tickets/{id}"),
    ("patch", "/tickets/{id}"),
    ("put", "/tickets/{id}/update-mechanics"),
    ("post", "/tickets/{id}/inventory"),
]


@pytest.mark.parametrize("body", ["[]", '[{"VIN": "ABC"}]', '"ABC"', "42", "null"])
@pytest.mark.parametrize("method, path", BODY_ENDPOINTS)
def test_json_that_is_not_an_object_is_400(staff_client, make_ticket, method, path, body):
    ticket = make_ticket()
    before = ticket_json(ticket)
    assert_error(getattr(staff_client, method)(path.format(id=ticket.pk), body, content_type="application/json"), 400)
    assert Ticket.objects.count() == 1
    assert ticket_json(ticket) == before


@pytest.mark.parametrize("body", ['{"VIN": "ABC"', "{'VIN': 'ABC'}", "VIN=ABC", '{"add_mechanic_ids": [NaN]}'])
@pytest.mark.parametrize("method, path", BODY_ENDPOINTS)
def test_malformed_json_is_400(staff_client, make_ticket, method, path, body):
    ticket = make_ticket()
    assert_error(getattr(staff_client, method)(path.format(id=ticket.pk), body, content_type="application/json"), 400)
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    "body, content_type",
    [('{"VIN": "ABC"}', "text/plain"), ("VIN=ABC&service_date=2026-11-25", "application/x-www-form-urlencoded")],
)
@pytest.mark.parametrize("method, path", BODY_ENDPOINTS)
def test_other_content_types_are_415(staff_client, make_ticket, method, path, body, content_type):
    ticket = make_ticket()
    before = ticket_json(ticket)
    assert_error(getattr(staff_client, method)(path.format(id=ticket.pk), body, content_type=content_type), 415)
    assert Ticket.objects.count() == 1
    assert ticket_json(ticket) == before


# --- update ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/tickets/{id}", "/tickets/{id}/"])
def test_staff_put_replaces_fields_and_may_move_the_ticket(staff_client, full_ticket, make_customer, path):
    other = make_customer()
    body = {
        "VIN": "jh4ka7561pc008269",
        "service_date": "2027-01-31",
        "service_description": "Brakes",
        "customer_id": other.pk,
    }
    response = staff_client.put(path.format(id=full_ticket.pk), body, format="json")
    assert response.status_code == 200
    full_ticket.refresh_from_db()
    assert response.json() == ticket_json(full_ticket)
    assert (full_ticket.vin, full_ticket.service_date, full_ticket.customer_id) == (
        "JH4KA7561PC008269",
        date(2027, 1, 31),
        other.pk,
    )
    assert len(response.json()["mechanics"]) == 2 and len(response.json()["parts"]) == 2


def test_put_without_required_fields_is_400(staff_client, make_ticket):
    ticket = make_ticket()
    assert_error(
        staff_client.put(f"/tickets/{ticket.pk}", {"VIN": "ABC"}, format="json"),
        400,
        "service_date",
        "service_description",
    )
    ticket.refresh_from_db()
    assert ticket.vin == "1HGCM82633A004352"


@pytest.mark.parametrize("path", ["/tickets/{id}", "/tickets/{id}/"])
def test_patch_changes_only_given_fields(staff_client, full_ticket, path):
    before = ticket_json(full_ticket)
    response = staff_client.patch(path.format(id=full_ticket.pk), {"VIN": "abc"}, format="json")
    assert response.status_code == 200
    assert response.json() == {**before, "VIN": "ABC"}


def test_staff_move_to_unknown_customer_is_404(staff_client, make_ticket):
    ticket = make_ticket()
    assert_error(staff_client.patch(f"/tickets/{ticket.pk}", {"customer_id": 999999}, format="json"), 404)
    assert Ticket.objects.get().customer_id == ticket.customer_id


def test_customer_patches_own_ticket(customer_client, customer, make_ticket):
    ticket = make_ticket(customer=customer)
    response = customer_client.patch(
        f"/tickets/{ticket.pk}", {"service_description": "Tyres", "customer_id": customer.pk}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["service_description"] == "Tyres"
    assert response.json()["customer_id"] == customer.pk


def test_customer_cannot_move_own_ticket_to_someone_else(customer_client, customer, make_customer, make_ticket):
    ticket = make_ticket(customer=customer)
    other = make_customer()
    assert_error(customer_client.patch(f"/tickets/{ticket.pk}", {"customer_id": other.pk}, format="json"), 403)
    assert Ticket.objects.get().customer_id == customer.pk


@pytest.mark.parametrize("method", ["put", "patch"])
def test_customer_cannot_change_another_customers_ticket(customer_client, make_ticket, new_ticket, method):
    ticket = make_ticket()
    assert_error(
        getattr(customer_client, method)(
            f"/tickets/{ticket.pk}", {**new_ticket, "customer_id": ticket.customer_id}, format="json"
        ),
        403,
    )
    assert Ticket.objects.get().service_description == "Oil change"


# --- methods ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("delete", "/tickets/{id}"),
        ("delete", "/tickets/{id}/"),
        ("delete", "/tickets"),
        ("put", "/tickets"),
        ("patch", "/tickets/"),
        ("post", "/tickets/{id}"),
        ("post", "/tickets/my-tickets"),
        ("delete", "/tickets/my-tickets/"),
        ("get", "/tickets/{id}/assign-mechanic/{mid}"),
        ("post", "/tickets/{id}/assign-mechanic/{mid}/"),
        ("delete", "/tickets/{id}/remove-mechanic/{mid}"),
        ("patch", "/tickets/{id}/remove-mechanic/{mid}"),
        ("post", "/tickets/{id}/update-mechanics"),
        ("get", "/tickets/{id}/update-mechanics/"),
        ("get", "/tickets/{id}/inventory"),
        ("put", "/tickets/{id}/inventory/"),
    ],
)
def test_wrong_method_is_405_in_json(staff_client, assigned, method, path):
    ticket, mechanic = assigned
    response = getattr(staff_client, method)(path.format(id=ticket.pk, mid=mechanic.pk), {}, format="json")
    assert_error(response, 405)
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert mechanic_ids(ticket) == [mechanic.pk]


def test_customer_delete_own_ticket_is_refused(customer_client, customer, make_ticket):
    ticket = make_ticket(customer=customer)
    response = customer_client.delete(f"/tickets/{ticket.pk}")
    assert response.status_code in (403, 405)
    assert_error(response, response.status_code)
    assert Ticket.objects.filter(pk=ticket.pk).exists()


# --- assign-mechanic / remove-mechanic ------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_assign_mechanic_then_again_says_already_assigned(staff_client, make_ticket, make_mechanic, slash):
    ticket, mechanic = make_ticket(), make_mechanic()
    path = f"/tickets/{ticket.pk}/assign-mechanic/{mechanic.pk}{slash}"
    first = staff_client.put(path)
    assert first.status_code == 200
    assert set(first.json()) == {"message", "ticket_id", "mechanic_id"}
    assert (first.json()["ticket_id"], first.json()["mechanic_id"]) == (ticket.pk, mechanic.pk)
    again = staff_client.put(path)
    assert again.status_code == 200
    assert set(again.json()) == {"message", "ticket_id", "mechanic_id"}
    assert "already" in again.json()["message"].lower()
    assert "already" not in first.json()["message"].lower()
    assert mechanic_ids(ticket) == [mechanic.pk]


@pytest.mark.parametrize("action", ["assign-mechanic", "remove-mechanic"])
@pytest.mark.parametrize("unknown", ["ticket", "mechanic"])
@pytest.mark.parametrize("bad_id", [0, 999999, BIG_ID])
def test_unknown_ticket_or_mechanic_in_path_is_404(staff_client, assigned, action, unknown, bad_id):
    ticket, mechanic = assigned
    ticket_id = bad_id if unknown == "ticket" else ticket.pk
    mechanic_id = bad_id if unknown == "mechanic" else mechanic.pk
    assert_error(staff_client.put(f"/tickets/{ticket_id}/{action}/{mechanic_id}"), 404)
    assert mechanic_ids(ticket) == [mechanic.pk]


@pytest.mark.parametrize("slash", ["", "/"])
def test_remove_mechanic(staff_client, make_ticket, make_mechanic, slash):
    stays, goes = make_mechanic(), make_mechanic()
    ticket = make_ticket(mechanics=[stays, goes])
    response = staff_client.put(f"/tickets/{ticket.pk}/remove-mechanic/{goes.pk}{slash}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"message", "ticket_id", "mechanic_id"}
    assert (body["ticket_id"], body["mechanic_id"]) == (ticket.pk, goes.pk)
    assert isinstance(body["message"], str) and body["message"]
    assert mechanic_ids(ticket) == [stays.pk]


def test_remove_mechanic_not_on_the_ticket_is_404(staff_client, make_ticket, make_mechanic):
    on_other_ticket = make_mechanic()
    make_ticket(mechanics=[on_other_ticket])
    ticket = make_ticket()
    assert_error(staff_client.put(f"/tickets/{ticket.pk}/remove-mechanic/{on_other_ticket.pk}"), 404)
    assert TicketMechanic.objects.filter(mechanic=on_other_ticket).count() == 1


def test_remove_mechanic_is_rate_limited_to_twenty_per_hour(staff_client, make_ticket, make_mechanic, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "timer", staticmethod(lambda: FIXED_NOW))
    mechanic = make_mechanic()
    ticket = make_ticket()
    path = f"/tickets/{ticket.pk}/remove-mechanic/{mechanic.pk}"
    # Not-assigned answers (404) count against the limit too.
    assert [staff_client.put(path).status_code for _ in range(20)] == [404] * 20
    response = staff_client.put(path)
    assert_error(response, 429)
    assert response["Retry-After"] == "800"


# --- update-mechanics -----------------------------------------------------------------------------


@pytest.fixture
def crew(make_ticket, make_mechanic):
    """A ticket with mechanics a and b; c and d are free."""
    a, b, c, d = (make_mechanic() for _ in range(4))
    return make_ticket(mechanics=[a, b]), (a, b, c, d)


@pytest.mark.parametrize("slash", ["", "/"])
def test_update_mechanics_adds_and_removes_and_returns_the_ticket(staff_client, crew, slash):
    ticket, (a, b, c, d) = crew
    body = {"add_mechanic_ids": [c.pk, d.pk, a.pk], "remove_mechanic_ids": [b.pk]}
    response = staff_client.put(f"/tickets/{ticket.pk}/update-mechanics{slash}", body, format="json")
    assert response.status_code == 200
    assert mechanic_ids(ticket) == sorted([a.pk, c.pk, d.pk])
    assert response.json() == ticket_json(ticket)
    assert [m["id"] for m in response.json()["mechanics"]] == sorted([a.pk, c.pk, d.pk])


@pytest.mark.parametrize("body", [{}, {"add_mechanic_ids": [], "remove_mechanic_ids": []}, None])
def test_update_mechanics_with_empty_body_changes_nothing(staff_client, crew, body):
    ticket, (a, b, _, _) = crew
    response = staff_client.put(f"/tickets/{ticket.pk}/update-mechanics", body, format="json")
    assert response.status_code == 200
    assert response.json() == ticket_json(ticket)
    assert mechanic_ids(ticket) == [a.pk, b.pk]


def test_update_mechanics_only_add_or_only_remove(staff_client, crew):
    ticket, (a, b, c, _) = crew
    assert (
        staff_client.put(
            f"/tickets/{ticket.pk}/update-mechanics", {"add_mechanic_ids": [c.pk]}, format="json"
        ).status_code
        == 200
    )
    assert mechanic_ids(ticket) == [a.pk, b.pk, c.pk]
    assert (
        staff_client.put(
            f"/tickets/{ticket.pk}/update-mechanics", {"remove_mechanic_ids": [a.pk, b.pk]}, format="json"
        ).status_code
        == 200
    )
    assert mechanic_ids(ticket) == [c.pk]


def test_update_mechanics_tolerates_repeated_ids_in_one_list(staff_client, crew):
    ticket, (a, b, c, _) = crew
    response = staff_client.put(
        f"/tickets/{ticket.pk}/update-mechanics", {"add_mechanic_ids": [c.pk, c.pk]}, format="json"
    )
    assert response.status_code == 200
    assert mechanic_ids(ticket) == [a.pk, b.pk, c.pk]


@pytest.mark.parametrize(
    "lists",
    [
        {"add": ["u1"]},
        {"remove": ["u1"]},
        {"add": ["c", "u1", "u2"]},
        {"add": ["c"], "remove": ["a", "u2"]},
        {"add": ["u1"], "remove": ["u2"]},
        {"add": ["u1", "big"]},
    ],
)
def test_update_mechanics_with_unknown_ids_is_404_listing_them_and_changes_nothing(staff_client, crew, lists):
    ticket, (a, b, c, d) = crew
    ids = {"a": a.pk, "b": b.pk, "c": c.pk, "u1": 999998, "u2": 999999, "big": 2**63 - 1}
    body = {f"{key}_mechanic_ids": [ids[name] for name in names] for key, names in lists.items()}
    response = staff_client.put(f"/tickets/{ticket.pk}/update-mechanics", body, format="json")
    error = assert_error(response, 404)
    unknown = sorted(ids[name] for names in lists.values() for name in names if name in ("u1", "u2", "big"))
    assert error["missing_ids"] == unknown
    assert mechanic_ids(ticket) == [a.pk, b.pk]


def test_update_mechanics_with_an_id_in_both_lists_is_400_and_changes_nothing(staff_client, crew):
    ticket, (a, b, c, _) = crew
    body = {"add_mechanic_ids": [c.pk, a.pk], "remove_mechanic_ids": [a.pk]}
    assert_error(staff_client.put(f"/tickets/{ticket.pk}/update-mechanics", body, format="json"), 400)
    assert mechanic_ids(ticket) == [a.pk, b.pk]


@pytest.mark.parametrize("ticket_id", [0, 999999, BIG_ID])
def test_update_mechanics_on_unknown_ticket_is_404(staff_client, crew, ticket_id):
    _, (_, _, c, _) = crew
    assert_error(
        staff_client.put(f"/tickets/{ticket_id}/update-mechanics", {"add_mechanic_ids": [c.pk]}, format="json"), 404
    )
    assert not TicketMechanic.objects.filter(mechanic=c).exists()


@pytest.mark.parametrize("key", ["add_mechanic_ids", "remove_mechanic_ids"])
@pytest.mark.parametrize(
    "value",
    [
        None,
        5,
        "5",
        "abc",
        True,
        {"id": 5},
        ["abc"],
        [True],
        [1.5],
        [0],
        [-1],
        [BIG_ID],
        [None],
        [[1]],
        [{"id": 1}],
        list(range(1, 1002)),
    ],
)
def test_update_mechanics_rejects_bad_id_lists(staff_client, crew, key, value):
    ticket, (a, b, _, _) = crew
    body = assert_error(staff_client.put(f"/tickets/{ticket.pk}/update-mechanics", {key: value}, format="json"), 400)
    assert any(field.startswith(key) for field in body["fields"]), body
    assert mechanic_ids(ticket) == [a.pk, b.pk]


# --- POST /tickets/<id>/inventory -------------------------------------------------------------------


@pytest.fixture
def stock(make_item):
    return [make_item() for _ in range(4)]


@pytest.mark.parametrize("slash", ["", "/"])
def test_add_parts_reports_added_and_duplicates(staff_client, make_ticket, stock, slash):
    i1, i2, i3, _ = stock
    ticket = make_ticket(parts=[(i2, 5)])
    body = {
        "add_inventory_items": [
            {"inventory_id": i3.pk, "quantity": 2},
            {"inventory_id": i2.pk, "quantity": 9},
            {"inventory_id": i1.pk},
        ]
    }
    response = staff_client.post(f"/tickets/{ticket.pk}/inventory{slash}", body, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "ticket_id": ticket.pk,
        "added_inventory_ids": [i1.pk, i3.pk],
        "duplicate_inventory_ids": [i2.pk],
        "requested_count": 3,
        "added_count": 2,
        "duplicate_count": 1,
    }
    # The duplicate keeps its quantity; an omitted quantity is 1.
    assert part_lines(ticket) == {i1.pk: 1, i2.pk: 5, i3.pk: 2}


def test_adding_the_same_parts_again_adds_nothing(staff_client, make_ticket, stock):
    ticket = make_ticket()
    body = {"add_inventory_items": [{"inventory_id": stock[0].pk, "quantity": 3}]}
    assert staff_client.post(f"/tickets/{ticket.pk}/inventory", body, format="json").json()["added_count"] == 1
    again = staff_client.post(
        f"/tickets/{ticket.pk}/inventory",
        {"add_inventory_items": [{"inventory_id": stock[0].pk, "quantity": 7}]},
        format="json",
    )
    assert again.status_code == 200
    assert (again.json()["added_inventory_ids"], again.json()["duplicate_inventory_ids"]) == ([], [stock[0].pk])
    assert (again.json()["added_count"], again.json()["duplicate_count"], again.json()["requested_count"]) == (0, 1, 1)
    assert part_lines(ticket) == {stock[0].pk: 3}


def test_added_parts_show_on_the_ticket(staff_client, make_ticket, stock):
    ticket = make_ticket()
    staff_client.post(
        f"/tickets/{ticket.pk}/inventory",
        {"add_inventory_items": [{"inventory_id": stock[1].pk, "quantity": 4}]},
        format="json",
    )
    parts = staff_client.get(f"/tickets/{ticket.pk}").json()["parts"]
    assert parts == [{"inventory_id": stock[1].pk, "name": stock[1].name, "price": 19.99, "quantity": 4}]


@pytest.mark.parametrize("unknown", [[999999], [999998, 999999], [2**63 - 1]])
def test_add_parts_with_unknown_ids_is_404_listing_them_and_adds_nothing(staff_client, make_ticket, stock, unknown):
    ticket = make_ticket(parts=[(stock[0], 2)])
    items = [{"inventory_id": stock[1].pk}, *({"inventory_id": iid} for iid in unknown), {"inventory_id": stock[0].pk}]
    error = assert_error(
        staff_client.post(f"/tickets/{ticket.pk}/inventory", {"add_inventory_items": items}, format="json"), 404
    )
    assert error["missing_ids"] == sorted(unknown)
    assert part_lines(ticket) == {stock[0].pk: 2}


@pytest.mark.parametrize("ticket_id", [0, 999999, BIG_ID])
def test_add_parts_to_unknown_ticket_is_404(staff_client, stock, ticket_id):
    body = {"add_inventory_items": [{"inventory_id": stock[0].pk}]}
    assert_error(staff_client.post(f"/tickets/{ticket_id}/inventory", body, format="json"), 404)
    assert not TicketInventory.objects.exists()


@pytest.mark.parametrize(
    "items",
    [
        [],
        None,
        "abc",
        5,
        {"inventory_id": 1},
        [5],
        [None],
        [[1]],
        [{}],
        [{"quantity": 2}],
        [{"inventory_id": "{a}", "quantity": 0}],
        [{"inventory_id": "{a}", "quantity": -1}],
        [{"inventory_id": "{a}", "quantity": 1.5}],
        [{"inventory_id": "{a}", "quantity": "many"}],
        [{"inventory_id": "{a}", "quantity": True}],
        [{"inventory_id": "{a}", "quantity": None}],
        [{"inventory_id": "{a}", "quantity": 2**31}],
        [{"inventory_id": "{a}", "quantity": BIG_ID}],
        [{"inventory_id": 0}],
        [{"inventory_id": -1}],
        [{"inventory_id": BIG_ID}],
        [{"inventory_id": 1.5}],
        [{"inventory_id": True}],
        [{"inventory_id": "abc"}],
        [{"inventory_id": None}],
        [{"inventory_id": [1]}],
        [{"inventory_id": "{a}"}, {"inventory_id": "{a}", "quantity": 2}],
        [{"inventory_id": "{a}"}, {"inventory_id": "{b}"}, {"inventory_id": "{a}"}],
    ],
)
def test_add_parts_rejects_bad_items_with_400_and_adds_nothing(staff_client, make_ticket, stock, items):
    ticket = make_ticket()
    ids = {"{a}": stock[0].pk, "{b}": stock[1].pk}
    if isinstance(items, list):
        items = [
            {k: ids.get(v, v) if isinstance(v, str) else v for k, v in item.items()} if isinstance(item, dict) else item
            for item in items
        ]
    response = staff_client.post(f"/tickets/{ticket.pk}/inventory", {"add_inventory_items": items}, format="json")
    body = assert_error(response, 400)
    assert any(field.startswith("add_inventory_items") for field in body["fields"]), body
    assert part_lines(ticket) == {}


def test_add_parts_without_the_list_is_400(staff_client, make_ticket, stock):
    ticket = make_ticket()
    assert_error(staff_client.post(f"/tickets/{ticket.pk}/inventory", {}, format="json"), 400, "add_inventory_items")
    assert part_lines(ticket) == {}


def test_add_parts_limit_of_1000_items_per_request(staff_client, make_ticket):
    ticket = make_ticket()
    items = [{"inventory_id": n} for n in range(1, 1002)]
    assert_error(
        staff_client.post(f"/tickets/{ticket.pk}/inventory", {"add_inventory_items": items}, format="json"), 400
    )
    assert part_lines(ticket) == {}


# --- pagination -------------------------------------------------------------------------------------


def link_pages(response) -> dict[str, int]:
    """{rel: page} from an RFC 8288 Link header."""
    pages = {}
    for part in response["Link"].split(","):
        url, rel = part.split(";")
        url = url.strip().removeprefix("<").removesuffix(">")
        query = parse_qs(urlsplit(url).query)
        assert query["per_page"] == ["2"]
        pages[rel.strip().removeprefix('rel="').removesuffix('"')] = int(query["page"][0])
    return pages


PAGES = [
    (1, [0, 1], {"first": 1, "next": 2, "last": 3}),
    (2, [2, 3], {"first": 1, "prev": 1, "next": 3, "last": 3}),
    (3, [4], {"first": 1, "prev": 2, "last": 3}),
]


@pytest.mark.parametrize("page, rows, links", PAGES)
def test_ticket_pages_carry_total_and_link_header(staff_client, make_ticket, no_throttling, page, rows, links):
    tickets = [make_ticket() for _ in range(5)]
    response = staff_client.get(f"/tickets?page={page}&per_page=2")
    assert response.status_code == 200
    assert response.json() == [ticket_json(tickets[i]) for i in rows]
    assert response["X-Total-Count"] == "5"
    assert link_pages(response) == links


def test_cached_ticket_page_keeps_its_headers(staff_client, make_ticket, no_throttling):
    for _ in range(3):
        make_ticket()
    first = staff_client.get("/tickets?page=2&per_page=2")
    again = staff_client.get("/tickets?page=2&per_page=2")
    assert again["X-Cache"] == "hit"
    assert (again.json(), again["X-Total-Count"], again["Link"]) == (first.json(), "3", first["Link"])


@pytest.mark.parametrize("page, rows, links", PAGES)
def test_my_tickets_pages(customer_client, customer, make_ticket, page, rows, links):
    mine = [make_ticket(customer=customer) for _ in range(5)]
    make_ticket()
    response = customer_client.get(f"/tickets/my-tickets?page={page}&per_page=2")
    assert response.status_code == 200
    assert response.json() == [ticket_json(mine[i]) for i in rows]
    assert response["X-Total-Count"] == "5"
    assert link_pages(response) == links


@pytest.mark.parametrize("page", [2, 5, 999_999_999])
@pytest.mark.parametrize("path", ["/tickets", "/tickets/", "/tickets/my-tickets"])
def test_page_past_the_end_is_an_empty_array(staff_client, customer_client, customer, make_ticket, path, page):
    make_ticket(customer=customer)
    client = customer_client if "my-tickets" in path else staff_client
    response = client.get(f"{path}?page={page}&per_page=1")
    assert response.status_code == 200
    assert response.json() == []
    assert response["X-Total-Count"] == "1"


BAD_PAGING = [
    "page=abc&per_page=2",
    "page=0&per_page=2",
    "page=-1&per_page=2",
    "page=1.5&per_page=2",
    "page=&per_page=2",
    "page=1&per_page=0",
    "page=1&per_page=-1",
    "page=1&per_page=101",
    "page=1&per_page=abc",
    "page=1&per_page=1.5",
    f"page={BIG_ID}&per_page=2",
    "page=1",
    "per_page=2",
]


@pytest.mark.parametrize("query", BAD_PAGING)
@pytest.mark.parametrize("path", ["/tickets", "/tickets/my-tickets"])
def test_bad_paging_parameters_are_400(
    staff_client, customer_client, customer, make_ticket, no_throttling, path, query
):
    make_ticket(customer=customer)
    client = customer_client if "my-tickets" in path else staff_client
    assert_error(client.get(f"{path}?{query}"), 400)


def test_per_page_100_is_allowed(staff_client, make_ticket):
    make_ticket()
    response = staff_client.get("/tickets?page=1&per_page=100")
    assert response.status_code == 200
    assert len(response.json()) == 1


@pytest.mark.redis
def test_cached_list_is_refreshed_after_a_change_with_redis(
    staff_client, full_ticket, make_mechanic, redis_cache, no_throttling
):
    extra = make_mechanic(name="Zed")
    staff_client.get("/tickets")
    assert staff_client.get("/tickets")["X-Cache"] == "hit"
    assert (
        staff_client.put(
            f"/tickets/{full_ticket.pk}/update-mechanics", {"add_mechanic_ids": [extra.pk]}, format="json"
        ).status_code
        == 200
    )
    response = staff_client.get("/tickets")
    assert response["X-Cache"] == "miss"
    assert response.json()[0]["mechanics"][-1] == {"id": extra.pk, "name": "Zed"}
