"""A ticket's ETag is the version its cached detail is kept under (tickets.versions, core.conditional):
a GET whose If-None-Match holds it is answered 304 before any body is read or built, but only after
the caller's authentication and permissions; every kind of ticket write changes it; If-Match is
compared with the version current under the row lock; a cache that lost its counters never hands
out an old tag again."""

import hashlib
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache

from core import caching
from tests.asserts import assert_error
from tickets import services, workflow
from tickets.models import Ticket


def forget_stored_body(ticket) -> None:
    """Remove the ticket's cached answer and nothing else (not the counters, not the accounts
    kept in the same cache), as when it has expired."""
    request = SimpleNamespace(
        accepted_renderer=SimpleNamespace(format="json"),
        build_absolute_uri=lambda: f"http://testserver{url_of(ticket)}",
    )
    key = caching._entry_key(request, caching.SHARED)
    assert cache.get(key) is not None, "no stored answer under the key core.caching reads"
    cache.delete(key)


def forget_stored_subject(ticket) -> None:
    """Remove the ticket's stored permission subject (what a conditional GET is answered with)."""
    cache.delete(f"subject:{hashlib.sha256(url_of(ticket).encode()).hexdigest()}")


def url_of(ticket) -> str:
    return f"/tickets/{ticket.pk}"


def tag_of(client, ticket) -> str:
    response = client.get(url_of(ticket))
    assert response.status_code == 200, response.content
    return response["ETag"]


def test_the_ticket_etag_is_made_from_its_version(staff_client, make_ticket):
    etag = tag_of(staff_client, make_ticket())

    assert etag.startswith('"tickets-') and not etag.startswith("W/")


@pytest.mark.parametrize("who", ["staff", "owner"])
def test_a_matching_if_none_match_is_304_without_a_query_or_the_stored_body(
    who, staff_client, customer_client, customer, make_ticket, make_mechanic, make_item, django_assert_num_queries
):
    ticket = make_ticket(customer=customer, mechanics=[make_mechanic()], parts=[(make_item(), 2)])
    client = staff_client if who == "staff" else customer_client
    first = client.get(url_of(ticket))
    etag = first["ETag"]
    forget_stored_body(ticket)

    with django_assert_num_queries(0):
        response = client.get(url_of(ticket), headers={"If-None-Match": etag})

    assert (response.status_code, response.content, response["ETag"]) == (304, b"", etag)
    assert (response["Vary"], response["Cache-Control"]) == (first["Vary"], first["Cache-Control"])


def test_the_304_is_never_stored_and_the_next_get_has_the_body(staff_client, make_ticket):
    ticket = make_ticket()
    etag = tag_of(staff_client, ticket)

    assert staff_client.get(url_of(ticket), headers={"If-None-Match": etag}).status_code == 304
    again = staff_client.get(url_of(ticket))
    assert again.status_code == 200 and again.json()["id"] == ticket.pk and again["ETag"] == etag


def test_staff_and_the_owner_get_the_same_body_and_the_same_etag(staff_client, customer_client, customer, make_ticket):
    ticket = make_ticket(customer=customer)

    by_staff, by_owner = staff_client.get(url_of(ticket)), customer_client.get(url_of(ticket))
    owner_not_modified = customer_client.get(url_of(ticket), headers={"If-None-Match": by_staff["ETag"]})

    assert by_staff.json() == by_owner.json()
    assert by_staff["ETag"] == by_owner["ETag"]
    assert owner_not_modified.status_code == 304


@pytest.mark.parametrize("kept", ["body and owner", "owner only", "nothing"])
def test_another_customers_ticket_is_refused_not_304(kept, staff_client, customer_client, make_customer, make_ticket):
    ticket = make_ticket(customer=make_customer())
    etag = tag_of(staff_client, ticket)  # the tag; the body and its owner stored
    if kept != "body and owner":
        forget_stored_body(ticket)
    if kept == "nothing":
        forget_stored_subject(ticket)

    plain = customer_client.get(url_of(ticket))
    conditional = customer_client.get(url_of(ticket), headers={"If-None-Match": etag})
    star = customer_client.get(url_of(ticket), headers={"If-None-Match": "*"})

    assert plain.status_code in (403, 404)
    assert (conditional.status_code, conditional.content) == (plain.status_code, plain.content)
    assert (star.status_code, star.content) == (plain.status_code, plain.content)
    assert "ETag" not in conditional
    assert staff_client.get(url_of(ticket), headers={"If-None-Match": etag}).status_code == 304  # still current


def test_an_unknown_ticket_is_404_whatever_the_if_none_match(staff_client):
    response = staff_client.get("/tickets/999999", headers={"If-None-Match": '"tickets-999999-1.1"'})

    assert_error(response, 404)


def add_line(client, ticket):
    body = {"kind": "fee", "description": "Shop fee", "quantity": 1, "unit_price": 10}
    return client.post(f"{url_of(ticket)}/lines", body, format="json"), 201


def add_part(client, ticket, item):
    body = {"add_inventory_items": [{"inventory_id": item.pk, "quantity": 1}]}
    return client.post(f"{url_of(ticket)}/inventory", body, format="json"), 200


def assign_mechanic(client, ticket, mechanic):
    return client.put(f"{url_of(ticket)}/assign-mechanic/{mechanic.pk}"), 200


def take_payment(client, ticket):
    return client.post(f"{url_of(ticket)}/payments", {"amount": "1.00", "method": "cash"}, format="json"), 201


def move(client, ticket):
    return client.post(f"{url_of(ticket)}/transition", {"to": "approved"}, format="json"), 200


def change_field(client, ticket):
    return client.patch(url_of(ticket), {"service_description": "Changed"}, format="json"), 200


WRITES = ["line", "part", "mechanic", "payment", "transition", "field update"]


@pytest.mark.parametrize("write", WRITES)
def test_every_kind_of_ticket_write_changes_the_etag(write, staff_client, make_ticket, make_mechanic, make_item):
    ticket = make_ticket()
    if write == "payment":
        services.add_line(ticket_id=ticket.pk, kind="fee", description="Fee", quantity=Decimal(1), unit_price=10)
        for to in ("approved", "in_progress", "completed", "invoiced"):
            workflow.transition(ticket_id=ticket.pk, to=to, by="staff")
    before = tag_of(staff_client, ticket)
    body_before = staff_client.get(url_of(ticket)).json()

    response, expected = {
        "line": lambda: add_line(staff_client, ticket),
        "part": lambda: add_part(staff_client, ticket, make_item()),
        "mechanic": lambda: assign_mechanic(staff_client, ticket, make_mechanic()),
        "payment": lambda: take_payment(staff_client, ticket),
        "transition": lambda: move(staff_client, ticket),
        "field update": lambda: change_field(staff_client, ticket),
    }[write]()
    assert response.status_code == expected, response.content
    after = staff_client.get(url_of(ticket), headers={"If-None-Match": before})

    assert after.status_code == 200 and after["ETag"] != before
    assert after.json() != body_before


def test_a_patch_answer_is_the_body_a_get_then_has_under_the_same_tag(staff_client, make_ticket):
    ticket = make_ticket()
    etag = tag_of(staff_client, ticket)

    patched = staff_client.patch(
        url_of(ticket), {"service_description": "Brakes"}, format="json", headers={"If-Match": etag}
    )
    read = staff_client.get(url_of(ticket))

    assert patched.status_code == 200, patched.content
    assert (patched["ETag"], patched.json()) == (read["ETag"], read.json())
    assert staff_client.get(url_of(ticket), headers={"If-None-Match": patched["ETag"]}).status_code == 304


def test_a_stale_version_tag_in_if_match_is_412_and_changes_nothing(staff_client, make_ticket):
    ticket = make_ticket(service_description="As read")
    etag = tag_of(staff_client, ticket)
    services.add_line(ticket_id=ticket.pk, kind="fee", description="Meanwhile", quantity=Decimal(1), unit_price=10)

    stale = staff_client.patch(
        url_of(ticket), {"service_description": "Blind"}, format="json", headers={"If-Match": etag}
    )

    assert "changed" in assert_error(stale, 412)["error"]
    assert Ticket.objects.get(pk=ticket.pk).service_description == "As read"


def test_if_match_is_compared_with_the_version_current_under_the_lock(staff_client, make_ticket, monkeypatch):
    """The version is read after the row is locked: a write that lands between the client's read
    and the lock (here: while the lock is taken) makes the tag stale."""
    from core import conditional

    ticket = make_ticket()
    etag = tag_of(staff_client, ticket)
    locked_row = conditional.locked_row

    def lock_after_another_write(model, pk):
        services.add_line(ticket_id=pk, kind="fee", description="Raced", quantity=Decimal(1), unit_price=1)
        return locked_row(model, pk)

    monkeypatch.setattr(conditional, "locked_row", lock_after_another_write)
    response = staff_client.patch(
        url_of(ticket), {"service_description": "X"}, format="json", headers={"If-Match": etag}
    )

    assert_error(response, 412)


def test_a_tag_read_before_the_cache_lost_its_counters_never_matches_after_a_change(staff_client, make_ticket):
    ticket = make_ticket(service_description="Before")
    etag = tag_of(staff_client, ticket)
    cache.clear()  # a Redis flush, eviction or restart: every counter is gone

    assert change_field(staff_client, ticket)[0].status_code == 200
    after = staff_client.get(url_of(ticket), headers={"If-None-Match": etag})
    stale = staff_client.patch(
        url_of(ticket), {"service_description": "Blind"}, format="json", headers={"If-Match": etag}
    )

    assert after.status_code == 200 and after["ETag"] != etag
    assert after.json()["service_description"] == "Changed"
    assert_error(stale, 412)


def test_without_the_counters_the_tag_is_the_representations_hash(staff_client, make_ticket, monkeypatch):
    from core import caching, conditional

    ticket = make_ticket()
    monkeypatch.setattr(caching, "generations", lambda names, known=None: None)
    monkeypatch.setattr("tickets.versions.generations", lambda names, known=None: None)

    response = staff_client.get(url_of(ticket))

    assert response.status_code == 200 and not response["ETag"].startswith('"tickets-')
    assert response["ETag"] == conditional.representation_etag(response.data)
    assert staff_client.get(url_of(ticket), headers={"If-None-Match": response["ETag"]}).status_code == 304


def test_a_304_built_from_the_body_stores_it_so_the_next_needs_none(
    staff_client, make_ticket, django_assert_num_queries
):
    ticket = make_ticket()
    etag = tag_of(staff_client, ticket)
    forget_stored_body(ticket)  # and its owner: as when the stored answer has expired
    forget_stored_subject(ticket)

    built = staff_client.get(url_of(ticket), headers={"If-None-Match": etag})
    with django_assert_num_queries(0):
        answered = staff_client.get(url_of(ticket), headers={"If-None-Match": etag})

    assert (built.status_code, answered.status_code) == (304, 304)
