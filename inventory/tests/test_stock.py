"""inventory.stock, the only code that changes stock, without HTTP: every change is a movement in
the ledger, and after every call the ledger of each item sums to its quantity_on_hand."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum

from core.errors import Conflict, InvalidInput, NotFound
from inventory import services, stock
from inventory.models import Inventory, StockMovement

pytestmark = pytest.mark.django_db


def on_hand(item) -> int | None:
    return Inventory.objects.values_list("quantity_on_hand", flat=True).get(pk=item.pk)


def ledger_sum(item) -> int:
    return StockMovement.objects.filter(item=item).aggregate(total=Sum("quantity"))["total"] or 0


def assert_ledger_matches(*items) -> None:
    for item in items:
        assert ledger_sum(item) == (on_hand(item) or 0), item
        last = StockMovement.objects.filter(item=item).last()
        if last is not None:
            assert last.balance_after == on_hand(item)


def ledger(item) -> list[tuple]:
    return list(StockMovement.objects.filter(item=item).values_list("kind", "quantity", "balance_after", "ticket_id"))


@pytest.fixture
def tracked(make_item):
    """An item with `n` on hand, received through the ledger."""

    def make(n: int, **fields):
        item = make_item(**fields)
        stock.receive_initial_stock(item_id=item.pk, quantity=n, by="staff")
        return item

    return make


# --- creation and the first receipt ---------------------------------------------------------


def test_an_item_created_with_stock_records_it_as_its_first_receipt(db):
    item = services.inventory_create(name="Filter", price=1, quantity_on_hand=12, reorder_point=3, by="anna")
    assert (on_hand(item), item.quantity_on_hand) == (12, 12)
    movement = StockMovement.objects.get(item=item)
    assert (movement.kind, movement.quantity, movement.balance_after, movement.by) == ("receipt", 12, 12, "anna")
    assert_ledger_matches(item)


def test_an_item_created_with_zero_is_tracked_with_an_empty_ledger(db):
    item = services.inventory_create(name="Filter", price=1, quantity_on_hand=0)
    assert on_hand(item) == 0
    assert ledger(item) == []


def test_an_item_created_without_stock_is_not_tracked(db):
    item = services.inventory_create(name="Filter", price=1)
    assert on_hand(item) is None
    assert ledger(item) == []


def test_a_refused_creation_records_no_stock(make_item):
    make_item(name="Filter")
    with pytest.raises(InvalidInput):
        services.inventory_create(name="filter", price=1, quantity_on_hand=5)
    assert StockMovement.objects.count() == 0


def test_the_initial_receipt_cannot_overwrite_a_tracked_item(tracked):
    item = tracked(5)
    with pytest.raises(Conflict):
        stock.receive_initial_stock(item_id=item.pk, quantity=50, by="staff")
    assert on_hand(item) == 5
    assert_ledger_matches(item)


def test_the_initial_receipt_of_an_unknown_item_is_not_found(db):
    with pytest.raises(NotFound):
        stock.receive_initial_stock(item_id=999, quantity=1, by="staff")


# --- receipts and adjustments ---------------------------------------------------------------


def test_receipts_and_adjustments_move_stock_and_record_the_balance(tracked):
    item = tracked(5)
    receipt = stock.record_movement(item_id=item.pk, kind="receipt", quantity=10, by="anna", note="PO 7")
    assert (receipt.quantity, receipt.balance_after, receipt.by, receipt.note) == (10, 15, "anna", "PO 7")
    assert_ledger_matches(item)
    down = stock.record_movement(item_id=item.pk, kind="adjustment", quantity=-15, by="anna")
    assert down.balance_after == 0 and on_hand(item) == 0
    assert_ledger_matches(item)
    up = stock.record_movement(item_id=item.pk, kind="adjustment", quantity=2, by="anna")
    assert up.balance_after == 2
    assert_ledger_matches(item)
    assert [kind for kind, *_ in ledger(item)] == ["receipt", "receipt", "adjustment", "adjustment"]


def test_an_adjustment_below_zero_is_refused_and_changes_nothing(tracked):
    item = tracked(3)
    with pytest.raises(Conflict) as caught:
        stock.record_movement(item_id=item.pk, kind="adjustment", quantity=-4, by="anna")
    assert caught.value.extra == {"on_hand": 3}
    assert on_hand(item) == 3 and len(ledger(item)) == 1
    assert_ledger_matches(item)


def test_an_untracked_item_starts_from_zero(make_item):
    item = make_item()
    with pytest.raises(Conflict):
        stock.record_movement(item_id=item.pk, kind="adjustment", quantity=-1, by="anna")
    assert on_hand(item) is None  # a refused movement does not start tracking either
    stock.record_movement(item_id=item.pk, kind="adjustment", quantity=4, by="anna")
    assert on_hand(item) == 4
    assert ledger(item) == [("adjustment", 4, 4, None)]
    assert_ledger_matches(item)


def test_an_untracked_item_receipt_starts_tracking(make_item):
    item = make_item()
    assert stock.record_movement(item_id=item.pk, kind="receipt", quantity=7, by="anna").balance_after == 7
    assert_ledger_matches(item)


@pytest.mark.parametrize(
    ("kind", "quantity", "field"),
    [
        ("receipt", 0, "quantity"),
        ("receipt", -3, "quantity"),
        ("adjustment", 0, "quantity"),
        ("consumption", -1, "kind"),
        ("return", 1, "kind"),
        ("adjustment", stock.MAX_ON_HAND + 1, "quantity"),
    ],
)
def test_invalid_movements_are_invalid_input(tracked, kind, quantity, field):
    item = tracked(3)
    with pytest.raises(InvalidInput) as caught:
        stock.record_movement(item_id=item.pk, kind=kind, quantity=quantity, by="anna")
    assert set(caught.value.fields) == {field}
    assert on_hand(item) == 3 and len(ledger(item)) == 1


def test_a_movement_of_an_unknown_item_is_not_found(db):
    with pytest.raises(NotFound):
        stock.record_movement(item_id=999, kind="receipt", quantity=1, by="anna")
    assert StockMovement.objects.count() == 0


def test_stock_beyond_the_columns_range_is_a_conflict_not_a_database_error(tracked):
    item = tracked(stock.MAX_ON_HAND - 1)
    stock.record_movement(item_id=item.pk, kind="receipt", quantity=1, by="anna")
    with pytest.raises(Conflict):
        stock.record_movement(item_id=item.pk, kind="receipt", quantity=1, by="anna")
    assert on_hand(item) == stock.MAX_ON_HAND
    assert_ledger_matches(item)


def test_the_database_refuses_negative_stock_even_without_the_service(tracked):
    item = tracked(1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Inventory.objects.filter(pk=item.pk).update(quantity_on_hand=-1)


# --- tickets: consumption and returns -------------------------------------------------------


def test_consumption_takes_tracked_items_and_skips_untracked_ones(tracked, make_item, make_ticket):
    brake, oil, wiper = tracked(5), tracked(2), make_item()
    ticket = make_ticket()
    with transaction.atomic():
        stock.consume_for_ticket(ticket_id=ticket.pk, quantities={brake.pk: 3, oil.pk: 2, wiper.pk: 9}, by="anna")
    assert (on_hand(brake), on_hand(oil), on_hand(wiper)) == (2, 0, None)
    assert ledger(brake)[-1] == ("consumption", -3, 2, ticket.pk)
    assert ledger(wiper) == []
    assert_ledger_matches(brake, oil, wiper)


def test_consumption_lists_every_short_item_and_rolls_back_the_others(tracked, make_ticket):
    enough, short, shorter = tracked(10), tracked(1), tracked(0)
    ticket = make_ticket()
    with pytest.raises(stock.OutOfStock) as caught, transaction.atomic():
        stock.consume_for_ticket(ticket_id=ticket.pk, quantities={enough.pk: 4, short.pk: 2, shorter.pk: 1}, by="anna")
    assert caught.value.extra == {
        "shortages": [
            {"inventory_id": short.pk, "requested": 2, "on_hand": 1},
            {"inventory_id": shorter.pk, "requested": 1, "on_hand": 0},
        ]
    }
    assert (on_hand(enough), on_hand(short), on_hand(shorter)) == (10, 1, 0)
    assert StockMovement.objects.filter(kind="consumption").count() == 0
    assert_ledger_matches(enough, short, shorter)


@pytest.mark.django_db(transaction=True)  # autocommit, as outside any request's transaction
def test_consumption_and_returns_need_the_callers_transaction(tracked, make_ticket):
    item, ticket = tracked(1), make_ticket()
    with pytest.raises(RuntimeError):
        stock.consume_for_ticket(ticket_id=ticket.pk, quantities={item.pk: 1}, by="anna")
    with pytest.raises(RuntimeError):
        stock.return_for_ticket(ticket_id=ticket.pk, quantities={item.pk: 1}, by="anna")
    assert on_hand(item) == 1


def test_returns_are_capped_at_what_the_ticket_took(tracked, make_ticket):
    item, other = tracked(10), tracked(10)
    ticket, second = make_ticket(), make_ticket()
    with transaction.atomic():
        stock.consume_for_ticket(ticket_id=ticket.pk, quantities={item.pk: 4}, by="anna")
        stock.consume_for_ticket(ticket_id=second.pk, quantities={item.pk: 1}, by="anna")
    assert on_hand(item) == 5
    with transaction.atomic():
        stock.return_for_ticket(ticket_id=ticket.pk, quantities={item.pk: 3}, by="anna", note="line removed")
    assert on_hand(item) == 8
    assert ledger(item)[-1] == ("return", 3, 8, ticket.pk)
    assert_ledger_matches(item)
    with transaction.atomic():  # 4 taken, 3 returned: 1 left to return, not 4
        stock.return_for_ticket(ticket_id=ticket.pk, quantities={item.pk: 4, other.pk: 2}, by="anna")
    assert (on_hand(item), on_hand(other)) == (9, 10)  # `other` was never taken by this ticket
    assert_ledger_matches(item, other)
    with transaction.atomic():  # nothing left to return
        stock.return_for_ticket(ticket_id=ticket.pk, quantities={item.pk: 4}, by="anna")
    assert on_hand(item) == 9
    assert StockMovement.objects.filter(item=item, kind="return").count() == 2
    assert_ledger_matches(item, other)


def test_a_part_used_before_tracking_began_is_not_returned(make_item, make_ticket):
    item, ticket = make_item(), make_ticket()
    with transaction.atomic():
        stock.consume_for_ticket(ticket_id=ticket.pk, quantities={item.pk: 2}, by="anna")  # untracked: nothing taken
    stock.record_movement(item_id=item.pk, kind="receipt", quantity=3, by="anna")
    with transaction.atomic():
        stock.return_for_ticket(ticket_id=ticket.pk, quantities={item.pk: 2}, by="anna")
    assert on_hand(item) == 3
    assert_ledger_matches(item)


# --- deleting items -------------------------------------------------------------------------


def test_an_item_with_a_ledger_is_kept(tracked):
    item = tracked(2)
    with pytest.raises(Conflict):
        services.inventory_delete(item_id=item.pk)
    assert Inventory.objects.filter(pk=item.pk).exists()


def test_an_item_tracked_with_an_empty_ledger_can_be_deleted(tracked):
    item = tracked(0)
    services.inventory_delete(item_id=item.pk)
    assert not Inventory.objects.filter(pk=item.pk).exists()
