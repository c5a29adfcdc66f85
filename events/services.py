"""Recording events (inside the change's transaction) and handing them to their consumers.

record_event() is called by the services that make a change, inside their transaction: the
event row commits or rolls back with the change. On commit a task dispatches it; should that
task never run (the broker was down, a worker died with it), the periodic sweep dispatches
whatever is older than a few seconds and still not dispatched. Dispatching sends
events.signals.event_published inside a transaction that also marks the event dispatched, under
the event's row lock, so each event is handed over once however many dispatchers race.
"""

import uuid
from datetime import UTC, datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.renderers import JSONRenderer
from core.services import delete_in_batches, send_tasks
from events.models import Event, EventType
from events.signals import event_published

SWEEP_BATCH = 1000


def iso_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, as the API writes its times."""
    value = moment.astimezone(UTC).isoformat()
    return value.removesuffix("+00:00") + "Z"


def record_event(*, type: str, data: dict) -> Event:
    """Store an event of `type` whose `data` is the resource as the API shows it (a serializer's
    output). Must run inside the transaction of the change it tells of."""
    if type not in EventType.values:
        raise ValueError(f"Unknown event type {type!r}.")
    if transaction.get_autocommit():
        raise RuntimeError("record_event must run inside the transaction of the change it records.")
    event_id, created_at = uuid.uuid4(), timezone.now()
    document = {"id": str(event_id), "type": type, "created_at": iso_timestamp(created_at), "data": data}
    payload = JSONRenderer().render(document).decode()
    event = Event.objects.create(id=event_id, type=type, created_at=created_at, payload=payload)
    transaction.on_commit(partial(_send_dispatch, event_id), robust=True)
    return event


def _send_dispatch(event_id: uuid.UUID) -> None:
    from events import tasks  # tasks import this module

    send_tasks(tasks.dispatch, [str(event_id)])


def _locked(events):
    """`events` with their rows locked, skipping rows another dispatcher holds where the database
    can (SQLite takes no row locks: its IMMEDIATE transactions run one writer at a time)."""
    if connection.features.has_select_for_update_skip_locked:
        return events.select_for_update(skip_locked=True)
    return events.select_for_update()


def dispatch_event(*, event_id) -> bool:
    """Hand the event to its consumers unless that was done. True when this call did it."""
    with transaction.atomic():
        event = _locked(Event.objects.filter(pk=event_id, dispatched_at__isnull=True)).first()
        if event is None:
            return False
        event_published.send(sender=Event, event=event)
        Event.objects.filter(pk=event.pk).update(dispatched_at=timezone.now())
    return True


def dispatch_pending(*, limit: int = SWEEP_BATCH) -> int:
    """Dispatch the oldest events not dispatched yet (at most `limit`), leaving alone those young
    enough for their own task to be on its way. Returns how many this call dispatched."""
    cutoff = timezone.now() - timedelta(seconds=settings.EVENTS_DISPATCH_GRACE_SECONDS)
    pending = list(
        Event.objects.filter(dispatched_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(dispatch_event(event_id=event_id) for event_id in pending)


def prune_events(*, now: datetime | None = None) -> int:
    """Remove dispatched events older than EVENTS_RETENTION_DAYS, with what their consumers kept
    of them (the webhook delivery log). Returns how many events were removed."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.EVENTS_RETENTION_DAYS)
    return delete_in_batches(Event.objects.filter(dispatched_at__isnull=False, created_at__lt=cutoff))
