"""audit.services without HTTP: entries recorded in one INSERT, nothing for an empty change,
snapshots and diffs as the trail shows them, values kept exactly."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import Change
from audit.selectors import changes_of
from audit.services import changed_fields, deleted_fields, record_change, record_changes, snapshot
from inventory.models import Inventory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_record_change_keeps_who_what_and_the_values_exactly(make_item):
    item = make_item(name="Filter", price=Decimal("7.50"))

    entry = record_change(
        record=item,
        by="staff",
        action="update",
        changes={"price": [Decimal("7.50"), Decimal("8.05")], "on": date(2026, 1, 2)},
    )

    stored = Change.objects.get(pk=entry.pk)
    assert (stored.content_type, stored.object_id, stored.by, stored.action) == (
        ContentType.objects.get_for_model(Inventory),
        item.pk,
        "staff",
        "update",
    )
    assert stored.changes == {"price": ["7.50", "8.05"], "on": "2026-01-02"}
    assert stored.at is not None


def test_an_empty_change_records_nothing(make_item):
    assert record_change(record=make_item(), by="staff", action="update", changes={}) is None
    assert not Change.objects.exists()


def test_several_entries_are_one_insert_at_one_moment(make_ticket):
    ticket = make_ticket()
    ContentType.objects.get_for_model(Ticket)  # cached, as after a process's first write

    with CaptureQueriesContext(connection) as queries:
        entries = record_changes(
            record=ticket,
            by="staff",
            changes=[("mechanic_added", {"mechanic_id": 1}), ("update", {}), ("mechanic_added", {"mechanic_id": 2})],
        )

    assert len(queries) == 1 and queries[0]["sql"].startswith("INSERT")
    assert [e.changes for e in changes_of(model=Ticket, object_id=ticket.pk)] == [
        {"mechanic_id": 1},
        {"mechanic_id": 2},
    ]
    assert len({e.at for e in entries}) == 1


def test_an_unknown_action_is_refused(make_item):
    with pytest.raises(ValueError):
        record_change(record=make_item(), by="staff", action="renamed", changes={"name": ["a", "b"]})


def test_snapshot_names_fields_as_the_trail_shows_them_and_decimals_at_their_places(make_item):
    item = make_item(name="Filter", price=Decimal("7.5"))
    item.price = 3  # as a form or a service may set it

    assert snapshot(item, {"title": "name", "price": "price"}) == {"title": "Filter", "price": Decimal("3.00")}


def test_changed_fields_and_deleted_fields():
    before, after = {"a": 1, "b": "x", "c": None}, {"a": 1, "b": "y", "c": 5}

    assert changed_fields(before, after) == {"b": ["x", "y"], "c": [None, 5]}
    assert deleted_fields(before) == {"a": [1, None], "b": ["x", None], "c": [None, None]}


def test_a_records_trail_is_its_own_oldest_first(make_ticket):
    first, second = make_ticket(), make_ticket()
    for n in range(3):
        record_change(record=first, by="s", action="update", changes={"n": [n, n + 1]})
    record_change(record=second, by="s", action="update", changes={"n": [0, 9]})

    assert [e.changes["n"][1] for e in changes_of(model=Ticket, object_id=first.pk)] == [1, 2, 3]
