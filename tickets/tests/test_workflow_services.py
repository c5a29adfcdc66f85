"""tickets.workflow, tickets.money and the workflow's services (lines, part removal, payments,
locks) called directly, without HTTP."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from inventory import stock
from inventory.models import Inventory, StockMovement
from tickets import money, services, workflow
from tickets.models import Invoice, Payment, StatusChange, Ticket, TicketInventory, TicketLine, TicketMechanic

pytestmark = pytest.mark.django_db

STATUSES = ["estimate", "approved", "in_progress", "completed", "invoiced", "closed", "cancelled"]
# The contract's table (API.md, "Ticket status"), written out independently of workflow.TRANSITIONS.
ALLOWED = {
    ("estimate", "approved"),
    ("estimate", "cancelled"),
    ("approved", "in_progress"),
    ("approved", "estimate"),
    ("approved", "cancelled"),
    ("in_progress", "completed"),
    ("in_progress", "cancelled"),
    ("completed", "invoiced"),
    ("completed", "in_progress"),
    ("invoiced", "closed"),
}
# How a new ticket reaches each status.
PATH = {
    "estimate": [],
    "approved": ["approved"],
    "in_progress": ["approved", "in_progress"],
    "completed": ["approved", "in_progress", "completed"],
    "invoiced": ["approved", "in_progress", "completed", "invoiced"],
    "closed": ["approved", "in_progress", "completed", "invoiced", "closed"],
    "cancelled": ["cancelled"],
}
PAIRS = [(a, b) for a in STATUSES for b in STATUSES]


def move(ticket, *statuses, by="staff"):
    for to in statuses:
        workflow.transition(ticket_id=ticket.pk, to=to, by=by)


def at(make_ticket, status, **kwargs) -> Ticket:
    ticket = make_ticket(**kwargs)
    move(ticket, *PATH[status])
    return ticket


def status_of(ticket) -> str:
    return Ticket.objects.values_list("status", flat=True).get(pk=ticket.pk)


def fee(ticket, amount, quantity=1, kind="fee"):
    return TicketLine.objects.create(ticket=ticket, kind=kind, description="x", quantity=quantity, unit_price=amount)


def tracked_item(make_item, on_hand=10, price="5.00"):
    item = make_item(price=Decimal(price))
    stock.record_movement(item_id=item.pk, kind="receipt", quantity=on_hand, by="staff")
    return item


def on_hand(item) -> int:
    return Inventory.objects.values_list("quantity_on_hand", flat=True).get(pk=item.pk)


# --- the transition table, pair by pair --------------------------------------------------------------


def test_the_table_is_the_contracts():
    assert {(a, b) for a, moves in workflow.TRANSITIONS.items() for b in moves} == ALLOWED


@pytest.mark.parametrize("start, to", PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_staff_transition(make_ticket, staff_user, start, to):
    ticket = at(make_ticket, start)
    entries = StatusChange.objects.filter(ticket=ticket).count()

    if (start, to) in ALLOWED:
        moved = workflow.transition(ticket_id=ticket.pk, to=to, by="staff", note="why")
        assert moved.status == to == status_of(ticket)
        assert StatusChange.objects.filter(ticket=ticket).count() == entries + 1
    else:
        with pytest.raises(Conflict) as refused:
            workflow.transition(ticket_id=ticket.pk, to=to, by="staff")
        assert set(refused.value.extra) == {"status", "allowed"}
        assert refused.value.extra["status"] == start
        assert set(refused.value.extra["allowed"]) == {b for a, b in ALLOWED if a == start}
        assert status_of(ticket) == start
        assert StatusChange.objects.filter(ticket=ticket).count() == entries


CUSTOMER_MAY = {("estimate", "approved"), ("estimate", "cancelled")}


@pytest.mark.parametrize("start, to", PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_customer_transition_of_their_own_ticket(make_ticket, customer, start, to):
    ticket = at(make_ticket, start, customer=customer)

    if (start, to) in CUSTOMER_MAY:
        workflow.transition(ticket_id=ticket.pk, to=to, by=customer.email, customer_id=customer.pk)
        assert status_of(ticket) == to
        assert StatusChange.objects.filter(ticket=ticket).last().by == customer.email
    else:
        with pytest.raises(Forbidden):
            workflow.transition(ticket_id=ticket.pk, to=to, by=customer.email, customer_id=customer.pk)
        assert status_of(ticket) == start


@pytest.mark.parametrize("start, to", PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_customer_transition_of_another_customers_ticket_is_forbidden(make_ticket, make_customer, start, to):
    ticket = at(make_ticket, start)
    someone = make_customer()
    with pytest.raises(Forbidden):
        workflow.transition(ticket_id=ticket.pk, to=to, by=someone.email, customer_id=someone.pk)
    assert status_of(ticket) == start


def test_a_customer_update_of_another_customers_ticket_is_forbidden(make_ticket, make_customer):
    ticket, someone = at(make_ticket, "invoiced"), make_customer()
    with pytest.raises(Forbidden):  # before the lock's Conflict: nothing about the ticket is told
        services.ticket_update(ticket_id=ticket.pk, changes={"service_description": "Mine now"}, customer_id=someone.pk)
    assert Ticket.objects.get(pk=ticket.pk).service_description != "Mine now"


def test_unknown_ticket_and_unknown_status(make_ticket):
    with pytest.raises(NotFound):
        workflow.transition(ticket_id=424242, to="approved", by="staff")
    with pytest.raises(InvalidInput) as caught:
        workflow.transition(ticket_id=make_ticket().pk, to="paid", by="staff")
    assert "to" in caught.value.fields


def test_a_transition_is_one_conditional_update(make_ticket):
    ticket = make_ticket()
    with CaptureQueriesContext(connection) as queries:
        workflow.transition(ticket_id=ticket.pk, to="approved", by="staff")
    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "tickets_ticket" in q["sql"]]
    assert len(updates) == 1
    assert "status" in updates[0].split("WHERE")[1]  # the status it moves from is in the condition


def test_a_lost_race_is_a_conflict_and_changes_nothing(make_ticket, monkeypatch):
    """The conditional UPDATE finds the ticket no longer in the status read (another transition
    committed in between, as happens where the row lock is not taken)."""
    ticket = make_ticket()
    real = Ticket.objects.filter

    def stale(*args, **kwargs):
        if "status" in kwargs:  # the conditional UPDATE's filter: someone approved it meanwhile
            Ticket.objects.exclude(pk=-1).filter(pk=ticket.pk).update(status="approved")
        return real(*args, **kwargs)

    monkeypatch.setattr(Ticket.objects, "filter", stale)
    with pytest.raises(Conflict) as caught:
        workflow.transition(ticket_id=ticket.pk, to="cancelled", by="staff")
    monkeypatch.undo()

    assert caught.value.extra["status"] == "approved"
    assert not StatusChange.objects.filter(ticket=ticket).exists()  # (the factory records no creation)


# --- history ---------------------------------------------------------------------------------------


def test_history_records_creation_and_each_transition_with_who_and_why(customer):
    ticket = services.ticket_create(
        customer_id=customer.pk, vin="ABC", service_date="2026-11-01", service_description="x", by="front-desk"
    )
    workflow.transition(ticket_id=ticket.pk, to="approved", by=customer.email, note="Go ahead", customer_id=customer.pk)
    workflow.transition(ticket_id=ticket.pk, to="in_progress", by="mo", note="")

    history = [
        (h.from_status, h.to_status, h.by, h.note) for h in StatusChange.objects.filter(ticket=ticket).order_by("id")
    ]
    assert history == [
        (None, "estimate", "front-desk", ""),
        ("estimate", "approved", customer.email, "Go ahead"),
        ("approved", "in_progress", "mo", ""),
    ]
    times = list(StatusChange.objects.filter(ticket=ticket).order_by("id").values_list("at", flat=True))
    assert times == sorted(times)


# --- money -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "quantity, unit_price, amount",
    [
        ("1", "0.005", "0.01"),  # half-up, not half-even
        ("0.5", "0.01", "0.01"),
        ("0.5", "0.03", "0.02"),  # 0.015 -> 0.02
        ("0.33", "10.00", "3.30"),
        ("1.25", "99.99", "124.99"),  # 124.9875
        ("3", "19.99", "59.97"),
    ],
)
def test_line_amount_rounds_half_up_to_the_cent(quantity, unit_price, amount):
    assert money.line_amount(Decimal(quantity), Decimal(unit_price)) == Decimal(amount)


def test_each_line_is_rounded_before_the_sum(make_ticket):
    """Three lines of 0.33 hours at 33.33: each 10.9989 -> 11.00, total 33.00 (not round(32.9967))."""
    ticket = make_ticket()
    for _ in range(3):
        fee(ticket, Decimal("33.33"), quantity=Decimal("0.33"), kind="labor")
    charged = money.charges(part_lines=[], lines=ticket.lines.all(), tax_rate=Decimal(0))
    assert charged.labor == Decimal("33.00") and charged.total == Decimal("33.00")


@pytest.mark.parametrize(
    "subtotal, rate, tax",
    [("10.00", "0.0825", "0.83"), ("0.06", "0.0825", "0.00"), ("10.10", "0.05", "0.51"), ("100.00", "0", "0.00")],
)
def test_tax_is_rounded_half_up(subtotal, rate, tax):
    class Line:
        kind, quantity, unit_price = "fee", Decimal(1), Decimal(subtotal)

    charged = money.charges(part_lines=[], lines=[Line()], tax_rate=Decimal(rate))
    assert (charged.tax, charged.total) == (Decimal(tax), Decimal(subtotal) + Decimal(tax))


def test_totals_add_up_parts_labor_and_fees(make_ticket, make_item, settings):
    settings.TAX_RATE = Decimal("0.1")
    ticket = make_ticket(parts=[(make_item(price=Decimal("7.50")), 3)])
    fee(ticket, Decimal("80"), quantity=Decimal("1.5"), kind="labor")
    fee(ticket, Decimal("4.99"))
    from tickets import selectors

    totals = money.ticket_totals(selectors.ticket_detail(ticket_id=ticket.pk))
    assert totals.as_dict() == {
        "parts": Decimal("22.50"),
        "labor": Decimal("120.00"),
        "fees": Decimal("4.99"),
        "subtotal": Decimal("147.49"),
        "tax": Decimal("14.75"),
        "total": Decimal("162.24"),
        "paid": Decimal("0.00"),
        "balance": Decimal("162.24"),
    }
    assert all(isinstance(v, Decimal) for v in totals.as_dict().values())


# --- invoices ------------------------------------------------------------------------------------------


def test_invoicing_freezes_totals_and_tax_rate(make_ticket, settings):
    from tickets import selectors

    settings.TAX_RATE = Decimal("0.1")
    ticket = make_ticket()
    fee(ticket, Decimal("50.05"))  # on the estimate, so approved with it
    move(ticket, *PATH["invoiced"])
    settings.TAX_RATE = Decimal("0.25")

    invoice = Invoice.objects.get(ticket=ticket)
    totals = money.ticket_totals(selectors.ticket_detail(ticket_id=ticket.pk))
    assert (invoice.tax_rate, invoice.subtotal, invoice.tax, invoice.total) == (
        Decimal("0.1"),
        Decimal("50.05"),
        Decimal("5.01"),
        Decimal("55.06"),
    )
    assert (totals.tax, totals.total, totals.balance) == (Decimal("5.01"), Decimal("55.06"), Decimal("55.06"))


def test_invoice_numbers_are_distinct_and_increasing(make_ticket):
    numbers = []
    for _ in range(5):
        ticket = at(make_ticket, "invoiced")
        numbers.append(Invoice.objects.get(ticket=ticket).pk)
    assert numbers == sorted(set(numbers)) and len(numbers) == 5


# --- closing and payments ---------------------------------------------------------------------------------


def test_closing_needs_a_zero_balance(make_ticket):
    ticket = make_ticket()
    fee(ticket, Decimal("100"))  # on the estimate, so approved with it
    move(ticket, *PATH["invoiced"])

    with pytest.raises(Conflict) as refused:
        move(ticket, "closed")
    assert refused.value.extra["balance"] == Decimal("100.00")
    services.add_payment(ticket_id=ticket.pk, amount=Decimal("60"), method="cash")
    with pytest.raises(Conflict):
        move(ticket, "closed")
    services.add_payment(ticket_id=ticket.pk, amount=Decimal("40"), method="card")
    move(ticket, "closed")
    assert status_of(ticket) == "closed"


def test_payments_up_to_the_balance_and_refunds_up_to_what_was_paid(make_ticket):
    ticket = make_ticket()
    fee(ticket, Decimal("100"))  # on the estimate, so approved with it
    move(ticket, *PATH["invoiced"])

    with pytest.raises(InvalidInput) as over:
        services.add_payment(ticket_id=ticket.pk, amount=Decimal("100.01"), method="cash")
    assert "amount" in over.value.fields
    services.add_payment(ticket_id=ticket.pk, amount=Decimal("30"), method="cash")
    with pytest.raises(InvalidInput):
        services.add_payment(ticket_id=ticket.pk, amount=Decimal("-30.01"), method="cash")
    services.add_payment(ticket_id=ticket.pk, amount=Decimal("-30"), method="cash", reference="refund")
    services.add_payment(ticket_id=ticket.pk, amount=Decimal("100"), method="check")
    with pytest.raises(InvalidInput):
        services.add_payment(ticket_id=ticket.pk, amount=Decimal("0.01"), method="cash")
    with pytest.raises(InvalidInput):
        services.add_payment(ticket_id=ticket.pk, amount=Decimal("0"), method="cash")

    assert money.paid_of(ticket.pk) == Decimal("100.00")
    assert list(Payment.objects.filter(ticket=ticket).values_list("amount", flat=True)) == [
        Decimal("30.00"),
        Decimal("-30.00"),
        Decimal("100.00"),
    ]


@pytest.mark.parametrize("status", ["estimate", "approved", "in_progress", "completed", "closed", "cancelled"])
def test_payments_only_on_an_invoiced_ticket(make_ticket, status):
    ticket = at(make_ticket, status)
    with pytest.raises(Conflict) as refused:
        services.add_payment(ticket_id=ticket.pk, amount=Decimal("1"), method="cash")
    assert refused.value.extra == {"status": status}
    assert not Payment.objects.exists()


def test_payment_on_an_unknown_ticket(db):
    with pytest.raises(NotFound):
        services.add_payment(ticket_id=424242, amount=Decimal("1"), method="cash")


# --- stock ----------------------------------------------------------------------------------------------


def test_cancelling_returns_the_parts_to_stock(make_ticket, make_item):
    item = tracked_item(make_item, on_hand=10)
    ticket = at(make_ticket, "in_progress")
    services.add_parts(ticket_id=ticket.pk, quantities={item.pk: 3}, by="staff")
    assert on_hand(item) == 7

    move(ticket, "cancelled", by="mo")

    assert on_hand(item) == 10
    last = StockMovement.objects.filter(item=item).last()
    assert (last.kind, last.quantity, last.balance_after, last.ticket_id, last.by) == ("return", 3, 10, ticket.pk, "mo")
    assert sum(StockMovement.objects.filter(item=item).values_list("quantity", flat=True)) == 10
    # The lines stay on the cancelled ticket, as its record.
    assert TicketInventory.objects.filter(ticket=ticket).count() == 1


def test_removing_a_part_returns_it_to_stock(make_ticket, make_item):
    item = tracked_item(make_item, on_hand=5)
    ticket = make_ticket()
    services.add_parts(ticket_id=ticket.pk, quantities={item.pk: 2}, by="staff")

    services.remove_part(ticket_id=ticket.pk, inventory_id=item.pk, by="staff")

    assert on_hand(item) == 5
    assert not TicketInventory.objects.filter(ticket=ticket).exists()
    assert (
        StockMovement.objects.filter(item=item, kind="return", ticket=ticket).values_list("quantity", flat=True).get()
        == 2
    )


def test_removing_a_part_not_on_the_ticket_is_not_found(make_ticket, make_item):
    with pytest.raises(NotFound):
        services.remove_part(ticket_id=make_ticket().pk, inventory_id=make_item().pk)


# --- lines -------------------------------------------------------------------------------------------


def test_add_and_delete_lines(make_ticket, make_mechanic):
    ticket, mechanic = make_ticket(), make_mechanic()
    line = services.add_line(
        ticket_id=ticket.pk,
        kind="labor",
        description="Brakes",
        quantity=Decimal("1.5"),
        unit_price=Decimal("80"),
        mechanic_id=mechanic.pk,
    )
    assert (line.ticket_id, line.mechanic_id, money.line_amount(line.quantity, line.unit_price)) == (
        ticket.pk,
        mechanic.pk,
        Decimal("120.00"),
    )
    with pytest.raises(NotFound):
        services.add_line(
            ticket_id=ticket.pk, kind="fee", description="x", quantity=1, unit_price=1, mechanic_id=424242
        )
    with pytest.raises(NotFound):
        services.delete_line(ticket_id=make_ticket().pk, line_id=line.pk)  # another ticket's line
    services.delete_line(ticket_id=ticket.pk, line_id=line.pk)
    assert not TicketLine.objects.exists()


def test_update_a_line(make_ticket, make_mechanic):
    ticket, mechanic = make_ticket(), make_mechanic()
    line = services.add_line(ticket_id=ticket.pk, kind="fee", description="Disposal", quantity=1, unit_price=5)

    services.update_line(
        ticket_id=ticket.pk,
        line_id=line.pk,
        changes={"kind": "labor", "quantity": Decimal("2.5"), "mechanic_id": mechanic.pk},
    )

    assert TicketLine.objects.values_list("kind", "description", "quantity", "unit_price", "mechanic_id").get() == (
        "labor",
        "Disposal",
        Decimal("2.50"),
        Decimal("5.00"),
        mechanic.pk,
    )
    with pytest.raises(NotFound):
        services.update_line(ticket_id=ticket.pk, line_id=line.pk, changes={"mechanic_id": 424242})
    with pytest.raises(NotFound):
        services.update_line(ticket_id=make_ticket().pk, line_id=line.pk, changes={"description": "x"})
    assert TicketLine.objects.values_list("description", "mechanic_id").get() == ("Disposal", mechanic.pk)


# --- locks ---------------------------------------------------------------------------------------------


def _writes(ticket, mechanic, item, line):
    return {
        "ticket_update": lambda: services.ticket_update(
            ticket_id=ticket.pk, changes={"service_description": "Changed"}
        ),
        "assign_mechanic": lambda: services.assign_mechanic(ticket_id=ticket.pk, mechanic_id=mechanic.pk),
        "remove_mechanic": lambda: services.remove_mechanic(ticket_id=ticket.pk, mechanic_id=mechanic.pk),
        "update_mechanics": lambda: services.update_mechanics(
            ticket_id=ticket.pk, add_ids=[], remove_ids=[mechanic.pk]
        ),
        "add_parts": lambda: services.add_parts(ticket_id=ticket.pk, quantities={item.pk: 1}),
        "remove_part": lambda: services.remove_part(ticket_id=ticket.pk, inventory_id=item.pk),
        "add_line": lambda: services.add_line(
            ticket_id=ticket.pk, kind="fee", description="x", quantity=1, unit_price=1
        ),
        "update_line": lambda: services.update_line(
            ticket_id=ticket.pk, line_id=line.pk, changes={"description": "Changed"}
        ),
        "delete_line": lambda: services.delete_line(ticket_id=ticket.pk, line_id=line.pk),
    }


def _contents(ticket) -> tuple:
    """What the writes above change: the description, mechanics, parts and lines."""
    return (
        Ticket.objects.filter(pk=ticket.pk).values_list("service_description", flat=True).get(),
        list(TicketMechanic.objects.filter(ticket=ticket).values_list("mechanic_id", flat=True)),
        list(TicketInventory.objects.filter(ticket=ticket).values_list("inventory_id", flat=True)),
        list(TicketLine.objects.filter(ticket=ticket).values_list("id", "description")),
    )


WRITES = [
    "ticket_update",
    "assign_mechanic",
    "remove_mechanic",
    "update_mechanics",
    "add_parts",
    "remove_part",
    "add_line",
    "update_line",
    "delete_line",
]


@pytest.mark.parametrize("status", ["invoiced", "closed", "cancelled"])
@pytest.mark.parametrize("write", WRITES)
def test_a_frozen_ticket_refuses_every_change(make_ticket, make_mechanic, make_item, status, write):
    mechanic, item = make_mechanic(), make_item(price=Decimal(0))
    ticket = make_ticket(mechanics=[mechanic], parts=[(item, 1)])
    line = fee(ticket, Decimal(0))  # keeps the invoice at 0, so closing needs no payment
    move(ticket, *PATH[status])
    before = _contents(ticket)

    with pytest.raises(Conflict) as refused:
        _writes(ticket, mechanic, item, line)[write]()

    assert refused.value.extra == {"status": status}
    assert _contents(ticket) == before


@pytest.mark.parametrize("write", WRITES)
def test_an_open_ticket_takes_every_change(make_ticket, make_mechanic, make_item, write):
    mechanic, item = make_mechanic(), make_item()
    ticket = make_ticket(
        mechanics=[mechanic] if write != "assign_mechanic" else [], parts=[(item, 1)] if write != "add_parts" else []
    )
    line = fee(ticket, Decimal(1))
    move(ticket, *PATH["completed"])
    before = _contents(ticket)

    _writes(ticket, mechanic, item, line)[write]()  # no Conflict

    assert _contents(ticket) != before


def test_the_lock_is_checked_under_the_ticket_row_lock(make_ticket):
    """The status is read by the SELECT ... FOR UPDATE that locks the row (where the database
    takes row locks), so no transition can commit between the check and the write."""
    ticket = at(make_ticket, "invoiced")
    with CaptureQueriesContext(connection) as queries, pytest.raises(Conflict):
        services.add_line(ticket_id=ticket.pk, kind="fee", description="x", quantity=1, unit_price=1)
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT")]
    assert len(reads) == 1 and "status" in reads[0] and "tickets_ticket" in reads[0]
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in reads[0]


def test_a_total_beyond_what_an_invoice_holds_is_refused(make_ticket):
    ticket = at(make_ticket, "completed")
    Ticket.objects.filter(pk=ticket.pk).update(approved_total=None)  # from before approvals were recorded
    for _ in range(2):
        fee(ticket, Decimal("99999999.99"), quantity=Decimal("999999.99"))
    with pytest.raises(Conflict):
        move(ticket, "invoiced")
    assert status_of(ticket) == "completed" and not Invoice.objects.exists()
