"""Stock under races against a real multi-worker server (gunicorn, 4 workers) on SQLite,
PostgreSQL or MariaDB (LIVE_DATABASES, see live.py): however many requests take, receive and
adjust one item at once, stock never goes below zero, exactly as many succeed as the stock
allows, and the ledger, read straight from the database, sums to quantity_on_hand with every
movement's balance following from the one before.
"""

import os
import uuid
from collections import Counter

import pytest

from tests import live
from tests.live import assert_no_server_error

pytestmark = pytest.mark.slow

DATABASE = f"ms_live_stock_{os.getpid()}"


class StockShop:
    def __init__(self, server: live.Server, backend: live.Backend):
        self.server, self.backend = server, backend

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return live.query(self.backend, DATABASE, sql, params)

    def create(self, path: str, body: dict) -> int:
        response = self.server.staff("POST", path, body)
        assert response.status == 201, (path, response.status, response.body)
        return response.body["id"]

    def item(self, on_hand: int) -> int:
        return self.create(
            "/inventory", {"name": f"Part {uuid.uuid4().hex[:12]}", "price": 9.5, "quantity_on_hand": on_hand}
        )

    def tickets(self, customer_id: int, n: int) -> list[int]:
        body = {
            "VIN": "1HGCM82633A004352",
            "service_date": "2026-11-25",
            "service_description": "Race",
            "customer_id": customer_id,
        }
        return [self.create("/tickets", body) for _ in range(n)]

    def on_hand(self, item_id: int) -> int:
        (row,) = self.query("SELECT quantity_on_hand FROM inventory_inventory WHERE id = %s", (item_id,))
        return row[0]

    def ledger(self, item_id: int) -> list[tuple]:
        """(id, kind, quantity, balance_after, ticket_id), in id order."""
        return self.query(
            "SELECT id, kind, quantity, balance_after, ticket_id FROM inventory_stockmovement "
            "WHERE item_id = %s ORDER BY id",
            (item_id,),
        )

    def add_part(self, ticket_id: int, item_id: int, quantity: int):
        body = {"add_inventory_items": [{"inventory_id": item_id, "quantity": quantity}]}
        return lambda: self.server.staff("POST", f"/tickets/{ticket_id}/inventory", body)

    def movement(self, item_id: int, kind: str, quantity: int):
        return lambda: self.server.staff(
            "POST", f"/inventory/{item_id}/movements", {"kind": kind, "quantity": quantity}
        )


def assert_ledger_consistent(shop: StockShop, item_id: int) -> list[tuple]:
    """The ledger sums to on hand, and each balance is the one before plus the movement: the
    movements were recorded in the order they changed the stock, none lost, none interleaved."""
    ledger = shop.ledger(item_id)
    balance = 0
    for _, _, quantity, balance_after, _ in ledger:
        balance += quantity
        assert balance_after == balance >= 0, ledger
    assert balance == shop.on_hand(item_id)
    return ledger


@pytest.fixture(scope="module", params=live.live_backend_names())
def shop(request, tmp_path_factory):
    with live.staff_server(request.param, DATABASE, tmp_path_factory.mktemp("live")) as (server, backend):
        yield StockShop(server, backend)


@pytest.fixture(scope="module")
def customer_id(shop) -> int:
    body = {
        "name": "Racer",
        "email": f"racer-{uuid.uuid4().hex[:8]}@example.com",
        "phone": "1",
        "password": "Race-Condition-42",
    }
    return shop.create("/customers", body)


def test_50_tickets_taking_one_unit_of_20_in_stock_leave_exactly_20_served(shop, customer_id):
    item = shop.item(20)
    tickets = shop.tickets(customer_id, 50)

    responses = live.at_once([shop.add_part(ticket, item, 1) for ticket in tickets])

    assert_no_server_error(responses, {200, 409})
    statuses = Counter(response.status for response in responses)
    served = [ticket for ticket, response in zip(tickets, responses, strict=True) if response.status == 200]
    for response in responses:
        if response.status == 200:
            assert response.body["added_inventory_ids"] == [item]
        else:  # refused for want of stock, not for a lost race
            assert response.body["shortages"] == [{"inventory_id": item, "requested": 1, "on_hand": 0}], response.body
    ledger = assert_ledger_consistent(shop, item)
    figures = {
        "200": statuses[200],
        "409": statuses[409],
        "on_hand": shop.on_hand(item),
        "ledger_sum": sum(m[2] for m in ledger),
    }
    print(f"\n[{shop.backend.name}] 50 x 1 unit of 20: {figures}")
    assert figures == {"200": 20, "409": 30, "on_hand": 0, "ledger_sum": 0}
    assert sorted(m[4] for m in ledger if m[1] == "consumption") == sorted(served)
    lines = shop.query("SELECT ticket_id FROM tickets_ticketinventory WHERE inventory_id = %s", (item,))
    assert sorted(ticket for (ticket,) in lines) == sorted(served)  # a refused ticket got no line
    assert shop.server.request("GET", f"/inventory/{item}").body["quantity_on_hand"] == 0


def test_racing_receipts_adjustments_and_consumptions_keep_the_ledger_equal_to_the_stock(shop, customer_id):
    start = 10
    item = shop.item(start)
    tickets = shop.tickets(customer_id, 20)
    calls = (
        [shop.movement(item, "receipt", 3) for _ in range(15)]
        + [shop.movement(item, "adjustment", -7) for _ in range(15)]
        + [shop.movement(item, "adjustment", 1) for _ in range(5)]
        + [shop.add_part(ticket, item, 2) for ticket in tickets]
    )
    kinds = ["receipt"] * 15 + ["adjustment-"] * 15 + ["adjustment+"] * 5 + ["consumption"] * 20

    responses = live.at_once(calls)

    assert_no_server_error(responses, {200, 201, 409})
    outcome = Counter((kind, response.status) for kind, response in zip(kinds, responses, strict=True))
    assert outcome[("receipt", 201)] == 15 and outcome[("adjustment+", 201)] == 5  # only removals can be refused
    for kind, response in zip(kinds, responses, strict=True):
        if response.status == 409:  # refused for want of stock, with the stock as it was
            assert ("on_hand" in response.body) if kind == "adjustment-" else ("shortages" in response.body), (
                response.body
            )
    received = 3 * outcome[("receipt", 201)]
    adjusted = -7 * outcome[("adjustment-", 201)] + outcome[("adjustment+", 201)]
    consumed = 2 * outcome[("consumption", 200)]
    ledger = assert_ledger_consistent(shop, item)
    on_hand = shop.on_hand(item)
    figures = {
        "receipts": outcome[("receipt", 201)],
        "adjustments_accepted": outcome[("adjustment-", 201)] + outcome[("adjustment+", 201)],
        "adjustments_refused": outcome[("adjustment-", 409)],
        "consumptions": outcome[("consumption", 200)],
        "consumptions_refused": outcome[("consumption", 409)],
        "on_hand": on_hand,
        "ledger_sum": sum(m[2] for m in ledger),
    }
    print(f"\n[{shop.backend.name}] mixed race from {start}: {figures}")
    assert on_hand == figures["ledger_sum"] == start + received - consumed + adjusted
    # Every accepted request is in the ledger once, and nothing else is.
    movement_ids = {r.body["id"] for r in responses if r.status == 201}
    assert movement_ids <= {m[0] for m in ledger}
    assert Counter(m[1] for m in ledger) == Counter(
        {
            "receipt": 1 + outcome[("receipt", 201)],
            "adjustment": figures["adjustments_accepted"],
            "consumption": figures["consumptions"],
        }
    )
    assert figures["adjustments_refused"] + figures["consumptions_refused"] > 0  # the race did reach the floor
