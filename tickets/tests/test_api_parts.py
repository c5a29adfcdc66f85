"""Parts on a ticket over the API: POST /tickets/<id>/inventory (API.md: "Ticket")."""

import pytest
from django.db import OperationalError

from tests.asserts import assert_error
from tickets import services
from tickets.models import TicketInventory
from tickets.tests.helpers import (
    BIG_ID,
    MAX_ID,
    part_lines,
)

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
    url = f"/tickets/{ticket.pk}/inventory"
    assert (
        staff_client.post(
            url, {"add_inventory_items": [{"inventory_id": stock[0].pk, "quantity": 3}]}, format="json"
        ).json()["added_count"]
        == 1
    )
    again = staff_client.post(
        url, {"add_inventory_items": [{"inventory_id": stock[0].pk, "quantity": 7}]}, format="json"
    )
    assert again.status_code == 200
    assert again.json() == {
        "ticket_id": ticket.pk,
        "added_inventory_ids": [],
        "duplicate_inventory_ids": [stock[0].pk],
        "requested_count": 1,
        "added_count": 0,
        "duplicate_count": 1,
    }
    assert part_lines(ticket) == {stock[0].pk: 3}


def test_added_parts_show_on_the_ticket(staff_client, make_ticket, stock):
    ticket = make_ticket()
    body = {"add_inventory_items": [{"inventory_id": stock[1].pk, "quantity": 4}]}
    assert staff_client.post(f"/tickets/{ticket.pk}/inventory", body, format="json").status_code == 200
    parts = staff_client.get(f"/tickets/{ticket.pk}").json()["parts"]
    assert parts == [{"inventory_id": stock[1].pk, "name": stock[1].name, "price": 19.99, "quantity": 4}]


def test_add_parts_leaves_other_tickets_alone(staff_client, make_ticket, stock):
    ticket, other = make_ticket(), make_ticket(parts=[(stock[0], 6)])
    body = {"add_inventory_items": [{"inventory_id": stock[0].pk, "quantity": 2}]}
    assert staff_client.post(f"/tickets/{ticket.pk}/inventory", body, format="json").json()["added_inventory_ids"] == [
        stock[0].pk
    ]
    assert (part_lines(ticket), part_lines(other)) == ({stock[0].pk: 2}, {stock[0].pk: 6})


@pytest.mark.parametrize("unknown", [[999999], [999998, 999999], [MAX_ID]])
def test_add_parts_with_unknown_ids_is_404_listing_them_and_adds_nothing(staff_client, make_ticket, stock, unknown):
    ticket = make_ticket(parts=[(stock[0], 2)])
    items = [{"inventory_id": stock[1].pk}, *({"inventory_id": iid} for iid in unknown), {"inventory_id": stock[0].pk}]
    error = assert_error(
        staff_client.post(f"/tickets/{ticket.pk}/inventory", {"add_inventory_items": items}, format="json"), 404
    )
    assert error["missing_ids"] == sorted(unknown)
    assert part_lines(ticket) == {stock[0].pk: 2}


@pytest.mark.parametrize("ticket_id", [0, 999999, MAX_ID, BIG_ID])
def test_add_parts_to_unknown_ticket_is_404(staff_client, stock, ticket_id):
    body = {"add_inventory_items": [{"inventory_id": stock[0].pk}]}
    assert_error(staff_client.post(f"/tickets/{ticket_id}/inventory", body, format="json"), 404)
    assert not TicketInventory.objects.exists()


def test_add_parts_is_one_transaction(staff_client, make_ticket, stock, monkeypatch):
    """A failure after the lines were written (here: the database goes away) leaves none."""
    ticket = make_ticket(parts=[(stock[0], 1)])

    def database_gone(*resources):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "bump_ticket", database_gone)  # runs after the inserts
    body = {"add_inventory_items": [{"inventory_id": stock[1].pk, "quantity": 2}, {"inventory_id": stock[2].pk}]}
    assert_error(staff_client.post(f"/tickets/{ticket.pk}/inventory", body, format="json"), 503)
    assert part_lines(ticket) == {stock[0].pk: 1}


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
        [{"inventory_id": MAX_ID + 1}],
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


def test_add_parts_without_the_list_is_400(staff_client, make_ticket):
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
