"""Mechanics on a ticket over the API: assign-mechanic, remove-mechanic and update-mechanics
(API.md: "Ticket", "Rate limits")."""

import pytest
from django.db import OperationalError

from core.ratelimits import account_key
from tests.asserts import assert_error
from tickets import services
from tickets.models import TicketMechanic
from tickets.tests.helpers import (
    BEFORE_NEXT_WINDOW,
    BIG_ID,
    MAX_ID,
    mechanic_ids,
    ticket_json,
)

# --- assign-mechanic / remove-mechanic ------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_assign_mechanic_then_again_says_already_assigned(staff_client, make_ticket, make_mechanic, slash):
    ticket, mechanic = make_ticket(), make_mechanic()
    path = f"/tickets/{ticket.pk}/assign-mechanic/{mechanic.pk}{slash}"
    first = staff_client.put(path)
    assert first.status_code == 200
    assert set(first.json()) == {"message", "ticket_id", "mechanic_id"}
    assert (first.json()["ticket_id"], first.json()["mechanic_id"]) == (ticket.pk, mechanic.pk)
    assert "already" not in first.json()["message"].lower()
    again = staff_client.put(path)
    assert again.status_code == 200
    assert set(again.json()) == {"message", "ticket_id", "mechanic_id"}
    assert (again.json()["ticket_id"], again.json()["mechanic_id"]) == (ticket.pk, mechanic.pk)
    assert "already" in again.json()["message"].lower()
    assert mechanic_ids(ticket) == [mechanic.pk]


@pytest.mark.parametrize("action", ["assign-mechanic", "remove-mechanic"])
@pytest.mark.parametrize("unknown", ["ticket", "mechanic"])
@pytest.mark.parametrize("bad_id", [0, 999999, MAX_ID, MAX_ID + 1, BIG_ID])
def test_unknown_ticket_or_mechanic_in_path_is_404(staff_client, assigned, action, unknown, bad_id, throttling_off):
    ticket, mechanic = assigned
    ticket_id = bad_id if unknown == "ticket" else ticket.pk
    mechanic_id = bad_id if unknown == "mechanic" else mechanic.pk
    assert_error(staff_client.put(f"/tickets/{ticket_id}/{action}/{mechanic_id}"), 404)
    assert mechanic_ids(ticket) == [mechanic.pk]


@pytest.mark.parametrize("slash", ["", "/"])
def test_remove_mechanic(staff_client, make_ticket, make_mechanic, slash):
    stays, goes = make_mechanic(), make_mechanic()
    ticket = make_ticket(mechanics=[stays, goes])
    other = make_ticket(mechanics=[goes])
    response = staff_client.put(f"/tickets/{ticket.pk}/remove-mechanic/{goes.pk}{slash}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"message", "ticket_id", "mechanic_id"}
    assert (body["ticket_id"], body["mechanic_id"]) == (ticket.pk, goes.pk)
    assert isinstance(body["message"], str) and body["message"]
    assert mechanic_ids(ticket) == [stays.pk]
    assert mechanic_ids(other) == [goes.pk]


def test_remove_mechanic_not_on_the_ticket_is_404(staff_client, make_ticket, make_mechanic):
    on_other_ticket = make_mechanic()
    make_ticket(mechanics=[on_other_ticket])
    ticket = make_ticket()
    assert_error(staff_client.put(f"/tickets/{ticket.pk}/remove-mechanic/{on_other_ticket.pk}"), 404)
    assert TicketMechanic.objects.filter(mechanic=on_other_ticket).count() == 1


def test_remove_mechanic_is_rate_limited_to_twenty_per_hour(
    staff_client, staff_user, make_ticket, make_mechanic, ratelimit_clock
):
    ratelimit_clock.set_into_window(account_key(staff_user), 3600 - BEFORE_NEXT_WINDOW)
    mechanic = make_mechanic()
    ticket = make_ticket(mechanics=[mechanic])
    path = f"/tickets/{ticket.pk}/remove-mechanic/{mechanic.pk}"
    # Not-assigned answers (404) count against the limit too.
    assert [staff_client.put(path).status_code for _ in range(20)] == [200] + [404] * 19
    staff_client.put(f"/tickets/{ticket.pk}/assign-mechanic/{mechanic.pk}")  # not limited
    response = staff_client.put(path)
    assert_error(response, 429)
    assert response["Retry-After"] == str(BEFORE_NEXT_WINDOW)
    assert mechanic_ids(ticket) == [mechanic.pk]


# --- update-mechanics -----------------------------------------------------------------------------


@pytest.fixture
def crew(make_ticket, make_mechanic):
    """A ticket with mechanics a and b; c and d are free."""
    a, b, c, d = (make_mechanic() for _ in range(4))
    return make_ticket(mechanics=[a, b]), (a, b, c, d)


@pytest.mark.parametrize("slash", ["", "/"])
def test_update_mechanics_adds_and_removes_and_returns_the_ticket(staff_client, crew, slash):
    ticket, (a, b, c, d) = crew
    body = {"add_mechanic_ids": [d.pk, c.pk, a.pk], "remove_mechanic_ids": [b.pk]}
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
    ticket, (a, b, c, d) = crew
    url = f"/tickets/{ticket.pk}/update-mechanics"
    assert staff_client.put(url, {"add_mechanic_ids": [c.pk]}, format="json").status_code == 200
    assert mechanic_ids(ticket) == [a.pk, b.pk, c.pk]
    # Removing a known mechanic who is not on the ticket is no error.
    assert staff_client.put(url, {"remove_mechanic_ids": [a.pk, b.pk, d.pk]}, format="json").status_code == 200
    assert mechanic_ids(ticket) == [c.pk]


def test_update_mechanics_tolerates_repeated_ids_in_one_list(staff_client, crew):
    ticket, (a, b, c, _) = crew
    response = staff_client.put(
        f"/tickets/{ticket.pk}/update-mechanics", {"add_mechanic_ids": [c.pk, c.pk, a.pk]}, format="json"
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
        {"add": ["u1", "max"]},
    ],
)
def test_update_mechanics_with_unknown_ids_is_404_listing_them_and_changes_nothing(staff_client, crew, lists):
    ticket, (a, b, c, d) = crew
    ids = {"a": a.pk, "b": b.pk, "c": c.pk, "u1": 999998, "u2": 999999, "max": MAX_ID}
    body = {f"{key}_mechanic_ids": [ids[name] for name in names] for key, names in lists.items()}
    response = staff_client.put(f"/tickets/{ticket.pk}/update-mechanics", body, format="json")
    error = assert_error(response, 404)
    unknown = sorted(ids[name] for names in lists.values() for name in names if name in ("u1", "u2", "max"))
    assert error["missing_ids"] == unknown
    assert mechanic_ids(ticket) == [a.pk, b.pk]


def test_update_mechanics_with_an_id_in_both_lists_is_400_and_changes_nothing(staff_client, crew):
    ticket, (a, b, c, _) = crew
    body = {"add_mechanic_ids": [c.pk, a.pk], "remove_mechanic_ids": [a.pk, b.pk]}
    error = assert_error(staff_client.put(f"/tickets/{ticket.pk}/update-mechanics", body, format="json"), 400)
    assert str(a.pk) in " ".join(message for messages in error["fields"].values() for message in messages)
    assert mechanic_ids(ticket) == [a.pk, b.pk]


@pytest.mark.parametrize("ticket_id", [0, 999999, MAX_ID, BIG_ID])
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
        [MAX_ID + 1],
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


def test_update_mechanics_is_one_transaction(staff_client, crew, monkeypatch):
    ticket, (a, b, c, _) = crew

    def database_gone(*resources):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "bump_ticket", database_gone)  # runs after the inserts and deletes
    body = {"add_mechanic_ids": [c.pk], "remove_mechanic_ids": [a.pk]}
    assert_error(staff_client.put(f"/tickets/{ticket.pk}/update-mechanics", body, format="json"), 503)
    assert mechanic_ids(ticket) == [a.pk, b.pk]
