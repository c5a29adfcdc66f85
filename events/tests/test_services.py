import json
import logging
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from events import services, tasks
from events.models import Event, EventType
from events.signals import event_published


def record(**data) -> Event:
    with transaction.atomic():
        return services.record_event(type=EventType.CUSTOMER_CREATED, data=data or {"id": 1})


@pytest.fixture
def published():
    """The events event_published was sent with, in order."""
    seen: list[Event] = []

    def receiver(sender, event, **kwargs):
        seen.append(event)

    event_published.connect(receiver, dispatch_uid="test-published")
    yield seen
    event_published.disconnect(dispatch_uid="test-published")


def test_the_payload_is_the_delivered_document_with_exact_money(db):
    event = record(id=7, price=Decimal("19.99"), big=Decimal("123456789012.34"), name="Ölfilter")

    document = json.loads(event.payload, parse_float=Decimal)
    assert document == {
        "id": str(event.id),
        "type": "customer.created",
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": {"id": 7, "price": Decimal("19.99"), "big": Decimal("123456789012.34"), "name": "Ölfilter"},
    }
    assert '"price":19.99' in event.payload  # a JSON number, as the API writes money


def test_unknown_types_are_refused(db):
    with pytest.raises(ValueError, match="Unknown event type"), transaction.atomic():
        services.record_event(type="ticket.exploded", data={})


@pytest.mark.django_db(transaction=True)
def test_an_event_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        services.record_event(type=EventType.CUSTOMER_CREATED, data={})
    assert not Event.objects.exists()


def test_a_rolled_back_change_leaves_no_event(db):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        services.record_event(type=EventType.CUSTOMER_CREATED, data={})
        1 / 0  # noqa: B018
    assert not Event.objects.exists()


def test_the_commit_dispatches_the_event(db, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = record()

    assert published == [event]
    event.refresh_from_db()
    assert event.dispatched_at is not None


def test_an_event_is_dispatched_once(db, published):
    event = record()

    assert services.dispatch_event(event_id=event.pk) is True
    assert services.dispatch_event(event_id=event.pk) is False
    assert tasks.dispatch(str(event.pk)) is False
    assert [e.pk for e in published] == [event.pk]


def test_a_consumer_that_fails_leaves_the_event_for_the_sweep(db):
    event = record()

    def broken(sender, event, **kwargs):
        raise RuntimeError("consumer down")

    event_published.connect(broken, dispatch_uid="test-broken")
    try:
        with pytest.raises(RuntimeError):
            services.dispatch_event(event_id=event.pk)
    finally:
        event_published.disconnect(dispatch_uid="test-broken")
    event.refresh_from_db()
    assert event.dispatched_at is None


def test_a_broker_that_is_down_does_not_fail_the_change(db, published, django_capture_on_commit_callbacks, caplog):
    with (
        mock.patch.object(tasks.dispatch, "apply_async", side_effect=OperationalError("connection refused")),
        caplog.at_level(logging.WARNING, logger="core.services"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        event = record()

    assert published == []
    assert Event.objects.get(pk=event.pk).dispatched_at is None
    assert "not sent to the broker" in caplog.text and "the sweep will send it" in caplog.text


def test_the_sweep_dispatches_what_was_not_dispatched_oldest_first(db, published, settings):
    settings.EVENTS_DISPATCH_GRACE_SECONDS = 10
    now = timezone.now()
    old, older = record(), record()
    Event.objects.filter(pk=old.pk).update(created_at=now - timedelta(seconds=30))
    Event.objects.filter(pk=older.pk).update(created_at=now - timedelta(seconds=60))
    young = record()  # its own task is still on its way
    done = record()
    Event.objects.filter(pk=done.pk).update(created_at=now - timedelta(minutes=5), dispatched_at=now)

    assert tasks.sweep() == 2

    assert [e.pk for e in published] == [older.pk, old.pk]
    assert Event.objects.get(pk=young.pk).dispatched_at is None


def test_prune_removes_dispatched_events_past_the_retention(db, settings):
    settings.EVENTS_RETENTION_DAYS = 30
    now = timezone.now()
    expired, undispatched, recent = record(), record(), record()
    Event.objects.filter(pk=expired.pk).update(created_at=now - timedelta(days=31), dispatched_at=now)
    Event.objects.filter(pk=undispatched.pk).update(created_at=now - timedelta(days=31))
    Event.objects.filter(pk=recent.pk).update(created_at=now - timedelta(days=29), dispatched_at=now)

    assert tasks.prune() == 1

    assert set(Event.objects.values_list("pk", flat=True)) == {undispatched.pk, recent.pk}
