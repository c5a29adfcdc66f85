"""The ticket workflow's races against a real multi-worker server (gunicorn, 4 workers) on
PostgreSQL or MariaDB (see live.py for which; LIVE_DATABASES=postgres,mariadb runs both): many
clients at once, released together by a barrier. After each race the answers agree with the
database: one transition wins, invoice numbers are distinct and increasing, payments never
overpay, and a line racing the invoice is either on the invoice or refused.
"""

import os
import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

import pytest

from tests import live

pytestmark = pytest.mark.slow

DATABASE = f"ms_live_workflow_{os.getpid()}"
TO_COMPLETED = ("approved", "in_progress", "completed")


@dataclass
class Shop:
    server: live.Server
    backend: live.Backend
    customer_id: int = 0

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return live.query(self.backend, DATABASE, sql, params)

    def call(self, method: str, path: str, body: dict | None = None, expected: int = 200) -> dict:
        response = self.server.staff(method, path, body)
        assert response.status == expected, (method, path, response.status, response.body)
        return response.body

    def ticket(self, *statuses: str, fee: str = "100.00") -> int:
        body = {
            "VIN": "1HGCM82633A004352",
            "service_date": "2026-11-25",
            "service_description": "Race",
            "customer_id": self.customer_id,
        }
        ticket = self.call("POST", "/tickets", body, 201)["id"]
        self.call(
            "POST",
            f"/tickets/{ticket}/lines",
            {"kind": "fee", "description": "Work", "quantity": 1, "unit_price": fee},
            201,
        )
        for to in statuses:
            self.move(ticket, to)
        return ticket

    def payments(self, ticket: int) -> list[Decimal]:
        """The amounts stored, as exact decimals (SQLite hands its numeric columns back as floats)."""
        rows = self.query("SELECT amount FROM tickets_payment WHERE ticket_id = %s ORDER BY id", (ticket,))
        return [Decimal(str(amount)).quantize(Decimal("0.01")) for (amount,) in rows]

    def move(self, ticket: int, to: str) -> dict:
        return self.call("POST", f"/tickets/{ticket}/transition", {"to": to})


@pytest.fixture(scope="module", params=live.live_backend_names())
def shop(request, tmp_path_factory):
    with live.staff_server(request.param, DATABASE, tmp_path_factory.mktemp("live")) as (server, backend):
        shop = Shop(server, backend)
        customer = {
            "name": "Racer",
            "email": f"racer-{uuid.uuid4().hex[:8]}@example.com",
            "phone": "1",
            "password": "Race-Condition-42",
        }
        shop.customer_id = shop.call("POST", "/customers", customer, 201)["id"]
        yield shop


def statuses(responses: list[live.Response]) -> Counter:
    assert all(r.status < 300 or r.is_json_error for r in responses)
    return Counter(r.status for r in responses)


def report(shop: Shop, race: str, counts: Counter) -> None:
    print(f"\n[{shop.backend.name}] {race}: {dict(sorted(counts.items()))}")


@pytest.mark.parametrize(
    "start, targets",
    [
        ((), ("approved",) * 10),
        # Neither move is allowed after the other (unlike approve then cancel, which is).
        (("approved", "in_progress"), ("completed", "cancelled") * 5),
    ],
    ids=["approve-10-times", "complete-vs-cancel"],
)
def test_10_transitions_racing_from_one_status_one_wins(shop, start, targets):
    ticket = shop.ticket(*start)
    entries = len(start) + 1

    responses = live.at_once(
        [lambda to=to: shop.server.staff("POST", f"/tickets/{ticket}/transition", {"to": to}) for to in targets]
    )

    counts = statuses(responses)
    report(shop, f"10 transitions to {'/'.join(sorted(set(targets)))}", counts)
    assert counts == Counter({200: 1, 409: 9})
    winner = next(r for r in responses if r.status == 200).body["status"]
    assert all(r.body["status"] == winner for r in responses if r.status == 409)  # each loser is told where it is
    history = shop.query(
        "SELECT from_status, to_status FROM tickets_statuschange WHERE ticket_id = %s ORDER BY id", (ticket,)
    )
    assert len(history) == entries + 1
    assert history[-1] == ((start or ("estimate",))[-1], winner)
    assert shop.query("SELECT status FROM tickets_ticket WHERE id = %s", (ticket,)) == [(winner,)]


def test_20_tickets_invoiced_at_once_get_20_distinct_increasing_numbers(shop):
    tickets = [shop.ticket(*TO_COMPLETED) for _ in range(20)]
    before = shop.query("SELECT COALESCE(MAX(id), 0) FROM tickets_invoice")[0][0]

    responses = live.at_once(
        [lambda t=t: shop.server.staff("POST", f"/tickets/{t}/transition", {"to": "invoiced"}) for t in tickets]
    )

    counts = statuses(responses)
    numbers = [r.body["invoice_number"] for r in responses]
    report(shop, f"20 invoicings: numbers {min(numbers)}..{max(numbers)}", counts)
    assert counts == Counter({200: 20})
    assert len(set(numbers)) == 20 and min(numbers) > before
    stored = dict(
        shop.query(f"SELECT ticket_id, id FROM tickets_invoice WHERE ticket_id IN ({','.join(map(str, tickets))})")
    )
    assert [stored[t] for t in tickets] == numbers
    # Increasing: an invoice made afterwards is numbered above every one of them.
    later = shop.move(shop.ticket(*TO_COMPLETED), "invoiced")["invoice_number"]
    assert later > max(numbers)


def test_10_payments_of_the_whole_balance_at_once_pay_it_exactly_once(shop):
    ticket = shop.ticket(*TO_COMPLETED, "invoiced", fee="123.45")
    payment = {"amount": "123.45", "method": "card"}

    responses = live.at_once(
        [lambda: shop.server.staff("POST", f"/tickets/{ticket}/payments", payment) for _ in range(10)]
    )

    counts = statuses(responses)
    report(shop, "10 payments of the whole balance", counts)
    assert counts == Counter({201: 1, 400: 9})
    assert all("amount" in r.body["fields"] for r in responses if r.status == 400)
    assert shop.payments(ticket) == [Decimal("123.45")]
    totals = shop.call("GET", f"/tickets/{ticket}")["totals"]
    assert (totals["total"], totals["paid"], totals["balance"]) == (123.45, 123.45, 0)


def test_20_payments_of_a_cent_against_a_balance_of_10_cents_take_exactly_10(shop):
    ticket = shop.ticket(*TO_COMPLETED, "invoiced", fee="0.10")

    responses = live.at_once(
        [
            lambda: shop.server.staff("POST", f"/tickets/{ticket}/payments", {"amount": "0.01", "method": "cash"})
            for _ in range(20)
        ]
    )

    counts = statuses(responses)
    report(shop, "20 one-cent payments on a 0.10 balance", counts)
    assert counts == Counter({201: 10, 400: 10})
    assert sum(shop.payments(ticket)) == Decimal("0.10")
    assert shop.move(ticket, "closed")["status"] == "closed"


def test_lines_racing_the_invoice_are_on_it_or_refused(shop):
    """Either the invoice comes first (every later line is refused: the ticket is frozen) or a
    line does (the invoice is refused: the new total waits for the customer's approval). Never an
    invoice without every line the ticket has."""
    ticket = shop.ticket(*TO_COMPLETED, fee="1.00")
    line = {"kind": "fee", "description": "Late", "quantity": 1, "unit_price": "1.00"}
    calls = [lambda: shop.server.staff("POST", f"/tickets/{ticket}/lines", line) for _ in range(10)]
    calls.insert(5, lambda: shop.server.staff("POST", f"/tickets/{ticket}/transition", {"to": "invoiced"}))

    responses = live.at_once(calls)

    invoice = responses.pop(5)
    counts = statuses(responses)
    report(shop, f"10 line additions racing the invoice (invoice: {invoice.status})", counts)
    assert invoice.status in (200, 409)
    assert set(counts) <= {201, 409}
    stored_lines = shop.query("SELECT COUNT(*) FROM tickets_ticketline WHERE ticket_id = %s", (ticket,))[0][0]
    assert stored_lines == 1 + counts[201]
    invoices = shop.query("SELECT total FROM tickets_invoice WHERE ticket_id = %s", (ticket,))
    if invoice.status == 200:
        assert counts[201] == 0 and Decimal(invoices[0][0]) == Decimal(stored_lines) == 1
        assert invoice.body["totals"]["total"] == 1
    else:
        assert counts[201] >= 1 and invoices == []
        assert invoice.body["status"] == "completed" and invoice.body["allowed"] == ["in_progress"]


def test_lines_racing_the_approval_are_approved_with_it_or_wait_for_the_next(shop):
    """Issue #23: a race once ended approved with 10 lines added after the approval, unseen. The
    approved total is the ticket's total when the approval took the row lock: the lines committed
    before it are in it, and any line after it makes the ticket need approval."""
    ticket = shop.ticket(fee="100.00")
    line = {"kind": "fee", "description": "Late", "quantity": 1, "unit_price": "1.00"}
    calls = [lambda: shop.server.staff("POST", f"/tickets/{ticket}/lines", line) for _ in range(10)]
    calls.insert(5, lambda: shop.server.staff("POST", f"/tickets/{ticket}/transition", {"to": "approved"}))

    responses = live.at_once(calls)

    approval = responses.pop(5)
    counts = statuses(responses)
    report(shop, "10 line additions racing the approval", counts)
    assert approval.status == 200 and counts == Counter({201: 10})
    shown = shop.call("GET", f"/tickets/{ticket}")
    trail = [entry["action"] for entry in shop.call("GET", f"/tickets/{ticket}/changes")]
    before_approval = trail.index("transition") - 1  # the lines added before the approval took the lock
    assert Decimal(str(shown["approved_total"])) == 100 + before_approval
    assert shown["totals"]["total"] == 110
    assert shown["needs_approval"] == (before_approval < 10)


def test_tickets_created_and_moved_at_once_keep_exact_status_counts(shop):
    """The per-status counts are hot rows (tickets/migrations/0007): 20 tickets created at once, then
    20 moves at once between the same two statuses in both directions, are all served (queued on the
    count rows, never deadlocked), and the counts equal the tickets' statuses after."""
    body = {
        "VIN": "1HGCM82633A004352",
        "service_date": "2026-11-25",
        "service_description": "Race",
        "customer_id": shop.customer_id,
    }
    created = live.at_once([lambda: shop.server.staff("POST", "/tickets", body) for _ in range(20)])
    assert statuses(created) == {201: 20}
    tickets = [r.body["id"] for r in created]
    for ticket in tickets[:10]:
        shop.move(ticket, "approved")

    moves = [(ticket, "estimate") for ticket in tickets[:10]] + [(ticket, "approved") for ticket in tickets[10:]]
    responses = live.at_once(
        [lambda t=t, to=to: shop.server.staff("POST", f"/tickets/{t}/transition", {"to": to}) for t, to in moves]
    )

    counts = statuses(responses)
    report(shop, "20 tickets moving between estimate and approved both ways", counts)
    assert counts == {200: 20}
    stored = dict(shop.query("SELECT status, ticket_count FROM tickets_ticketstatuscount WHERE ticket_count > 0"))
    assert stored == dict(shop.query("SELECT status, COUNT(*) FROM tickets_ticket GROUP BY status"))
    assert shop.query(
        f"SELECT status, COUNT(*) FROM tickets_ticket WHERE id IN ({','.join(map(str, tickets))}) "
        "GROUP BY status ORDER BY status"
    ) == [("approved", 10), ("estimate", 10)]
