"""The ticket list and my-tickets as an API client sees them, cached and fresh (API.md: "Ticket",
"Rate limits")."""

from datetime import date

import pytest

from core.ratelimits import account_key
from tests.asserts import assert_error
from tickets.tests.helpers import (
    BEFORE_NEXT_WINDOW,
    is_cache_hit,
    ticket_json,
)

# --- list -----------------------------------------------------------------------------------------


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
            "vehicle_id": None,
            "mileage_in": None,
            "mileage_out": None,
            "mechanics": [{"id": m1.pk, "name": "Ada"}, {"id": m2.pk, "name": "Linus"}],
            "parts": [
                {"inventory_id": i1.pk, "name": "Brake pad", "price": 49.99, "quantity": 1},
                {"inventory_id": i2.pk, "name": "Oil filter", "price": 7.5, "quantity": 3},
            ],
            "status": "estimate",
            "lines": [],
            "totals": {
                "parts": 72.49,
                "labor": 0,
                "fees": 0,
                "subtotal": 72.49,
                "tax": 0,
                "total": 72.49,
                "paid": 0,
                "balance": 72.49,
            },
            "invoice_number": None,
            "approved_total": None,
            "needs_approval": False,
        },
        ticket_json(other),
    ]
    # Money is an exact JSON number, not a string.
    assert b'"price":49.99' in response.content and b'"price":7.50' in response.content
    assert (
        b'"totals":{"parts":72.49,"labor":0.00,"fees":0.00,"subtotal":72.49,"tax":0.00,"total":72.49,"paid":0.00,"balance":72.49}'
        in response.content
    )


def test_list_of_no_tickets_is_an_empty_array(staff_client):
    response = staff_client.get("/tickets")
    assert response.status_code == 200
    assert response.json() == []


def test_list_is_cached_and_a_hit_costs_no_queries(
    staff_client, full_ticket, throttling_off, django_assert_num_queries
):
    first = staff_client.get("/tickets")
    assert first.status_code == 200 and not is_cache_hit(first)
    with django_assert_num_queries(0):
        again = staff_client.get("/tickets")
    assert again.status_code == 200
    assert is_cache_hit(again)
    assert 0 <= int(again["Age"]) <= 10
    assert again.content == first.content


def test_cached_list_expires_after_ten_seconds(staff_client, make_ticket, throttling_off, monkeypatch, settings):
    import time

    # A cache whose clock is Python's (Redis keeps its own), so the test can move it forward.
    settings.CACHES = {
        alias: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"tickets-expiry-{alias}"}
        for alias in ("default", "limits")
    }
    make_ticket()
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    staff_client.get("/tickets")
    monkeypatch.setattr(time, "time", lambda: now + 9)
    assert is_cache_hit(staff_client.get("/tickets"))
    monkeypatch.setattr(time, "time", lambda: now + 11)
    assert not is_cache_hit(staff_client.get("/tickets"))


def fresh_list(staff_client) -> list[dict]:
    """GET /tickets, which must not be a stale cached answer."""
    response = staff_client.get("/tickets")
    assert response.status_code == 200
    assert not is_cache_hit(response)
    return response.json()


@pytest.fixture
def warm_list(staff_client, full_ticket, throttling_off):
    """The list is in the cache."""
    staff_client.get("/tickets")
    assert is_cache_hit(staff_client.get("/tickets"))
    return full_ticket


def test_list_shows_an_assigned_mechanic_at_once(staff_client, warm_list, make_mechanic):
    extra = make_mechanic(name="Zed")
    assert staff_client.put(f"/tickets/{warm_list.pk}/assign-mechanic/{extra.pk}").status_code == 200
    assert fresh_list(staff_client)[0]["mechanics"][-1] == {"id": extra.pk, "name": "Zed"}


def test_list_shows_a_removed_mechanic_at_once(staff_client, warm_list):
    gone = warm_list.mechanics.order_by("id").first()
    assert staff_client.put(f"/tickets/{warm_list.pk}/remove-mechanic/{gone.pk}").status_code == 200
    assert gone.pk not in [m["id"] for m in fresh_list(staff_client)[0]["mechanics"]]


def test_list_shows_update_mechanics_at_once(staff_client, warm_list, make_mechanic):
    extra = make_mechanic(name="Zed")
    first = warm_list.mechanics.order_by("id").first()
    body = {"add_mechanic_ids": [extra.pk], "remove_mechanic_ids": [first.pk]}
    assert staff_client.put(f"/tickets/{warm_list.pk}/update-mechanics", body, format="json").status_code == 200
    mechanics = fresh_list(staff_client)[0]["mechanics"]
    assert mechanics == ticket_json(warm_list)["mechanics"]
    assert {"id": extra.pk, "name": "Zed"} in mechanics and first.pk not in [m["id"] for m in mechanics]


def test_list_shows_added_parts_at_once(staff_client, warm_list, make_item):
    item = make_item(name="Spark plug")
    body = {"add_inventory_items": [{"inventory_id": item.pk, "quantity": 4}]}
    assert staff_client.post(f"/tickets/{warm_list.pk}/inventory", body, format="json").status_code == 200
    assert fresh_list(staff_client)[0]["parts"][-1] == {
        "inventory_id": item.pk,
        "name": "Spark plug",
        "price": 19.99,
        "quantity": 4,
    }


def test_list_shows_a_renamed_mechanic_at_once(staff_client, warm_list):
    mechanic = warm_list.mechanics.order_by("id").first()
    assert staff_client.patch(f"/mechanics/{mechanic.pk}", {"name": "Grace"}, format="json").status_code == 200
    assert fresh_list(staff_client)[0]["mechanics"][0] == {"id": mechanic.pk, "name": "Grace"}


def test_list_shows_an_edited_and_a_new_ticket_at_once(staff_client, warm_list, new_ticket):
    assert (
        staff_client.patch(f"/tickets/{warm_list.pk}", {"service_description": "Brakes"}, format="json").status_code
        == 200
    )
    assert fresh_list(staff_client)[0]["service_description"] == "Brakes"
    created = staff_client.post("/tickets", new_ticket, format="json").json()
    assert [t["id"] for t in fresh_list(staff_client)] == [warm_list.pk, created["id"]]


def test_list_is_rate_limited_to_five_per_hour_by_default(staff_client, staff_user, make_ticket, ratelimit_clock):
    ratelimit_clock.set_into_window(account_key(staff_user), 3600 - BEFORE_NEXT_WINDOW)
    make_ticket()
    # Cached answers count too: the limit is decided before the cache is looked at.
    assert [staff_client.get("/tickets").status_code for _ in range(5)] == [200] * 5
    response = staff_client.get("/tickets/")
    assert_error(response, 429)
    assert response["Retry-After"] == str(BEFORE_NEXT_WINDOW)


def test_list_limit_is_per_caller(client_for, make_staff, make_ticket, ratelimit_clock):
    make_ticket()
    first, second = client_for(make_staff()), client_for(make_staff())
    assert [first.get("/tickets").status_code for _ in range(6)] == [200] * 5 + [429]
    assert second.get("/tickets").status_code == 200


# --- my-tickets -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/tickets/my-tickets", "/tickets/my-tickets/"])
def test_my_tickets_lists_only_the_callers_tickets(
    customer_client, customer, make_ticket, make_mechanic, make_item, path
):
    mine = [
        make_ticket(customer=customer, mechanics=[make_mechanic()], parts=[(make_item(), 2)]),
        make_ticket(customer=customer, vin="JH4KA7561PC008269"),
    ]
    make_ticket()
    response = customer_client.get(path)
    assert response.status_code == 200
    assert response.json() == [ticket_json(t) for t in mine]
    assert not response.has_header("X-Total-Count")


def test_my_tickets_of_a_customer_without_tickets_is_empty(customer_client, make_ticket):
    make_ticket()
    response = customer_client.get("/tickets/my-tickets")
    assert response.status_code == 200
    assert response.json() == []


def test_my_tickets_shows_a_new_ticket_at_once(customer_client, customer, make_ticket, new_ticket):
    make_ticket(customer=customer)
    assert len(customer_client.get("/tickets/my-tickets").json()) == 1
    assert customer_client.post("/tickets", new_ticket, format="json").status_code == 201
    assert len(customer_client.get("/tickets/my-tickets").json()) == 2


# --- with Redis, as in production -------------------------------------------------------------------


@pytest.mark.redis
def test_cached_list_is_refreshed_after_a_change_with_redis(
    staff_client, full_ticket, make_mechanic, redis_cache, throttling_off
):
    extra = make_mechanic(name="Zed")
    staff_client.get("/tickets")
    assert is_cache_hit(staff_client.get("/tickets"))
    body = {"add_mechanic_ids": [extra.pk]}
    assert staff_client.put(f"/tickets/{full_ticket.pk}/update-mechanics", body, format="json").status_code == 200
    response = staff_client.get("/tickets")
    assert not is_cache_hit(response)
    assert response.json()[0]["mechanics"][-1] == {"id": extra.pk, "name": "Zed"}
