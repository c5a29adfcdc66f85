"""Safe writes raced against a real multi-worker server (gunicorn, 4 workers) on PostgreSQL or
MariaDB (see live.py for which), clients released together by a barrier: identical POSTs with
one Idempotency-Key are carried out exactly once, and of writers holding the same ETag in
If-Match exactly one writes, the others get 412."""

import os
import uuid
from collections import Counter
from decimal import Decimal

import pytest

from tests import live

pytestmark = pytest.mark.slow

DATABASE = f"ms_live_safe_{os.getpid()}"


class Shop:
    def __init__(self, server: live.Server, backend: live.Backend):
        self.server, self.backend = server, backend
        customer = {
            "name": "Racer",
            "email": f"racer-{uuid.uuid4().hex[:8]}@example.com",
            "phone": "1",
            "password": "Race-Condition-42",
        }
        self.customer_id = self.call("POST", "/customers", customer, 201)["id"]

    def call(self, method: str, path: str, body: dict | None = None, expected: int = 200) -> dict:
        response = self.server.staff(method, path, body)
        assert response.status == expected, (method, path, response.status, response.body)
        return response.body

    def ticket(self, *statuses: str) -> int:
        body = {
            "VIN": "1HGCM82633A004352",
            "service_date": "2026-11-25",
            "service_description": "Race",
            "customer_id": self.customer_id,
        }
        ticket = self.call("POST", "/tickets", body, 201)["id"]
        line = {"kind": "fee", "description": "Work", "quantity": 1, "unit_price": "100.00"}
        self.call("POST", f"/tickets/{ticket}/lines", line, 201)
        for to in statuses:
            self.call("POST", f"/tickets/{ticket}/transition", {"to": to})
        return ticket

    def payments(self, ticket: int) -> list[Decimal]:
        rows = live.query(
            self.backend, DATABASE, "SELECT amount FROM tickets_payment WHERE ticket_id = %s ORDER BY id", (ticket,)
        )
        return [Decimal(str(amount)).quantize(Decimal("0.01")) for (amount,) in rows]


@pytest.fixture(scope="module", params=live.live_backend_names())
def shop(request, tmp_path_factory):
    with live.staff_server(request.param, DATABASE, tmp_path_factory.mktemp("live")) as (server, backend):
        yield Shop(server, backend)


def test_20_identical_payments_with_one_idempotency_key_pay_exactly_once(shop):
    for _round in range(3):
        ticket = shop.ticket("approved", "in_progress", "completed", "invoiced")
        key = {"Idempotency-Key": f"pay-{uuid.uuid4().hex}"}
        body = {"amount": "30.00", "method": "card", "reference": "auth 7"}

        def pay(body=body, ticket=ticket, key=key):
            return shop.server.staff("POST", f"/tickets/{ticket}/payments", body, headers=key)

        responses = live.at_once([pay] * 20)

        statuses = Counter(r.status for r in responses)
        assert set(statuses) <= {201, 409}, (statuses, [r.body for r in responses if r.status not in (201, 409)])
        assert statuses[201] >= 1
        assert all(r.is_json_error for r in responses if r.status == 409)
        created = [r for r in responses if r.status == 201]
        assert len({r.body["id"] for r in created}) == 1  # every 201 tells of the same payment
        assert sum(r.headers.get("idempotent-replayed") != "true" for r in created) == 1
        assert shop.payments(ticket) == [Decimal("30.00")]
        # Once the first has finished, a repeat is always answered from the store.
        again = pay()
        assert (again.status, again.body, again.headers["idempotent-replayed"]) == (201, created[0].body, "true")
        assert shop.payments(ticket) == [Decimal("30.00")]


def test_two_writers_with_the_same_etag_one_writes_the_other_gets_412(shop):
    for n in range(5):
        ticket = shop.ticket()
        read = shop.server.staff("GET", f"/tickets/{ticket}")
        etag = {"If-Match": read.headers["etag"]}

        def write(description, ticket=ticket, etag=etag):
            body = {"service_description": description}
            return lambda: shop.server.staff("PATCH", f"/tickets/{ticket}", body, headers=etag)

        first, second = live.at_once([write(f"Writer A {n}"), write(f"Writer B {n}")])

        assert sorted([first.status, second.status]) == [200, 412], (first.body, second.body)
        winner = first if first.status == 200 else second
        stored = shop.server.staff("GET", f"/tickets/{ticket}")
        assert stored.body["service_description"] == winner.body["service_description"]
        assert stored.headers["etag"] == winner.headers["etag"]


def test_ten_transitions_with_the_same_etag_move_the_ticket_once(shop):
    ticket = shop.ticket()
    etag = {"If-Match": shop.server.staff("GET", f"/tickets/{ticket}").headers["etag"]}

    def move(to):
        return lambda: shop.server.staff("POST", f"/tickets/{ticket}/transition", {"to": to}, headers=etag)

    responses = live.at_once([move("approved" if n % 2 else "cancelled") for n in range(10)])

    statuses = Counter(r.status for r in responses)
    assert statuses == {200: 1, 412: 9}, statuses
    winner = next(r for r in responses if r.status == 200)
    history = shop.call("GET", f"/tickets/{ticket}/history")
    assert [entry["to"] for entry in history] == ["estimate", winner.body["status"]]
