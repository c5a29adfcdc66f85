"""Webhook subscriptions, and delivering events to them at least once.

An event dispatched by the outbox (events.services) becomes one Delivery per active
subscription that wants its type, in the dispatch's transaction (fan_out); each delivery is then
one task per attempt (attempt_delivery). An attempt first claims its delivery with a conditional
UPDATE (a lease: who sends, and until when), so however many copies of a task run, one sends;
it records the outcome and, on failure, when to try again (WEBHOOK_RETRY_SCHEDULE), until the
schedule runs out and the delivery is failed.

The broker only wakes workers up. The periodic sweep (sweep_deliveries) sends a task for every
delivery that is due and has none on its way, and takes a lease that ran out (its worker died in
the middle of an attempt) for a failed attempt, so nothing owed is forgotten while the broker
or the workers are down, or a message is lost.
"""

import hashlib
import logging
import time
import uuid
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.errors import Conflict, InvalidInput, NotFound
from core.services import claim_lease, locked_row, queue_due, retry_fields, save_unique, send_tasks
from events.models import Event, EventType
from webhooks import addresses, sender, signing
from webhooks.models import Delivery, Subscription

logger = logging.getLogger(__name__)

ALL_EVENTS = "*"
DUPLICATE_URL = "A webhook with this URL already exists."
# A worker's claim outlives the longest an attempt may take: the timeout, then the task's time
# limits (WEBHOOK_TIMEOUT + 2 and + 4 seconds, webhooks.tasks).
LEASE_MARGIN_SECONDS = 5
SWEEP_BATCH = 500


# --- Subscriptions --------------------------------------------------------------------------


def _checked_events(events: list[str]) -> list[str]:
    if not events:
        raise InvalidInput("Invalid input.", {"events": ['Name at least one event type, or "*" for all.']})
    if unknown := [name for name in events if name not in EventType.values and name != ALL_EVENTS]:
        known = ", ".join(EventType.values)
        raise InvalidInput(
            "Invalid input.", {"events": [f"Unknown event types: {', '.join(unknown)}. Known: {known}."]}
        )
    if len(set(events)) != len(events):
        raise InvalidInput("Invalid input.", {"events": ["Each event type may be listed once."]})
    if ALL_EVENTS in events and len(events) > 1:
        raise InvalidInput("Invalid input.", {"events": ['"*" (every event) stands alone.']})
    return list(events)


def _checked_url(url: str) -> str:
    """The URL, if webhooks may go there (webhooks.addresses); resolves its host."""
    try:
        addresses.check_url(url)
    except addresses.UnsafeUrl as exc:
        raise InvalidInput("Invalid input.", {"url": [str(exc)]}) from None
    return url


def url_digest(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def _lock_subscriptions() -> None:
    """Hold off other subscription writes until this transaction ends, so that the count of
    subscriptions read next stays true while this one is added. SQLite's IMMEDIATE transactions
    already run one writer at a time, and MariaDB's locking read locks the gaps too."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"LOCK TABLE {connection.ops.quote_name(Subscription._meta.db_table)} IN SHARE ROW EXCLUSIVE MODE"
            )
    else:
        list(Subscription.objects.select_for_update().values_list("pk", flat=True))


def _save(subscription: Subscription) -> Subscription:
    subscription.url_digest = url_digest(subscription.url)
    return save_unique(subscription, field="url", message=DUPLICATE_URL)


def subscription_create(*, url: str, events: list[str], description: str = "") -> Subscription:
    """A new, active subscription with a new secret (subscription.secret). At most
    WEBHOOK_MAX_SUBSCRIPTIONS exist at once."""
    events = _checked_events(events)
    url = _checked_url(url)  # before the lock: resolving a name may take a while
    with transaction.atomic():
        _lock_subscriptions()
        limit = settings.WEBHOOK_MAX_SUBSCRIPTIONS
        if Subscription.objects.count() >= limit:
            raise InvalidInput(
                f"At most {limit} webhooks may exist; delete one first.",
                {"url": [f"At most {limit} webhooks may exist."]},
            )
        return _save(Subscription(url=url, events=events, description=description, secret=signing.new_secret()))


def subscription_update(*, subscription_id: int, changes: dict) -> Subscription:
    """Change the URL, event types, description or `active`. Enabling a subscription forgets
    its failures, so it has five days again."""
    if "events" in changes:
        changes = {**changes, "events": _checked_events(changes["events"])}
    if "url" in changes:
        _checked_url(changes["url"])
    with transaction.atomic():
        subscription = locked_row(Subscription, subscription_id)
        for field in ("url", "events", "description"):
            if field in changes:
                setattr(subscription, field, changes[field])
        if "active" in changes and changes["active"] != subscription.active:
            subscription.active = changes["active"]
            subscription.failing_since = None
            subscription.disabled_reason = "" if subscription.active else "Disabled by staff."
        return _save(subscription)


@transaction.atomic
def subscription_delete(*, subscription_id: int) -> None:
    locked_row(Subscription, subscription_id).delete()


# --- Deliveries -----------------------------------------------------------------------------


def _enqueue(delivery_ids: list[int], countdown: float | None = None) -> None:
    from webhooks import tasks  # tasks import this module

    send_tasks(tasks.deliver, delivery_ids, countdown=countdown)


def fan_out(sender, event: Event, **kwargs) -> list[int]:
    """events.signals.event_published's receiver: a delivery of `event` for every active
    subscription that wants its type, each sent to a worker once the dispatch commits."""
    wanted = [s for s in Subscription.objects.filter(active=True).only("id", "events") if s.wants(event.type)]
    if not wanted:
        return []
    now = timezone.now()
    deliveries = Delivery.objects.bulk_create(
        [Delivery(subscription=s, event=event, next_attempt_at=now, queued_at=now) for s in wanted]
    )
    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(partial(_enqueue, ids), robust=True)
    return ids


def headers_for(*, event_id: str, secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """Standard Webhooks' headers for one attempt."""
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature(secret=secret, message_id=event_id, timestamp=timestamp, body=body),
    }


def attempt_delivery(*, delivery_id: int) -> sender.Outcome | None:
    """Send the delivery once if it is pending, due, and no other worker is sending it; record
    how it went. None when there was nothing to do."""
    lease = claim_lease(
        Delivery, pk=delivery_id, seconds=settings.WEBHOOK_TIMEOUT + LEASE_MARGIN_SECONDS, attempts_field="attempt"
    )
    if lease is None:
        return None
    delivery = Delivery.objects.select_related("subscription", "event").get(pk=delivery_id)
    subscription = delivery.subscription
    if not subscription.active:
        outcome = sender.Outcome(None, "The webhook is disabled.")
        record_outcome(delivery=delivery, lease=lease, outcome=outcome, final=True)
        return outcome
    body = delivery.event.payload.encode()
    headers = headers_for(
        event_id=str(delivery.event_id), secret=subscription.secret, body=body, timestamp=int(time.time())
    )
    outcome = sender.post(subscription.url, body=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT)
    if not outcome.delivered:
        logger.info("Webhook %s, delivery %s: %s", subscription.pk, delivery.pk, outcome.error)
    record_outcome(delivery=delivery, lease=lease, outcome=outcome)
    return outcome


def record_outcome(*, delivery: Delivery, lease: uuid.UUID, outcome: sender.Outcome, final: bool = False) -> bool:
    """Record an attempt made under `lease`: delivered, or failed and retried after the
    schedule's next wait, or (the schedule run out, or `final`) failed for good. False when the
    lease was no longer this attempt's (the sweep took the attempt for lost meanwhile)."""
    now = timezone.now()
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    countdown = None
    if outcome.delivered:
        fields = {"state": Delivery.State.DELIVERED, "next_attempt_at": None, "queued_at": None}
    elif final or delivery.failures >= len(schedule):
        fields = {"state": Delivery.State.FAILED, "failures": delivery.failures + 1, "next_attempt_at": None}
    else:
        fields, countdown = retry_fields(failures=delivery.failures, schedule=schedule, now=now)
    with transaction.atomic():
        recorded = Delivery.objects.filter(pk=delivery.pk, lease=lease).update(
            status_code=outcome.status_code, error=outcome.error, at=now, lease=None, leased_until=None, **fields
        )
        if not recorded:
            return False
        _note_health(subscription_id=delivery.subscription_id, delivered=outcome.delivered, now=now)
        if countdown is not None:
            transaction.on_commit(partial(_enqueue, [delivery.pk], countdown=countdown), robust=True)
    return True


def _note_health(*, subscription_id: int, delivered: bool, now: datetime) -> None:
    subscriptions = Subscription.objects.filter(pk=subscription_id)
    if delivered:
        subscriptions.filter(failing_since__isnull=False).update(failing_since=None)
        return
    subscriptions.filter(failing_since__isnull=True).update(failing_since=now)
    days = settings.WEBHOOK_DISABLE_AFTER_DAYS
    disabled = subscriptions.filter(active=True, failing_since__lte=now - timedelta(days=days)).update(
        active=False, disabled_reason=f"Every delivery failed for {days:g} days."
    )
    if disabled:
        logger.warning("Webhook %s disabled: every delivery failed for %g days.", subscription_id, days)


def redeliver(*, subscription_id: int, delivery_id: int) -> Delivery:
    """Send a delivery again, whatever became of it, with a fresh retry schedule."""
    now = timezone.now()
    with transaction.atomic():
        subscription = Subscription.objects.filter(pk=subscription_id).first()
        if subscription is None:
            raise NotFound(f"Webhook {subscription_id} not found.")
        if not subscription.active:
            raise Conflict(f"Webhook {subscription_id} is disabled: enable it (active: true) first.")
        deliveries = Delivery.objects.filter(pk=delivery_id, subscription_id=subscription_id)
        rearmed = deliveries.filter(lease__isnull=True).update(
            state=Delivery.State.PENDING, failures=0, next_attempt_at=now, queued_at=now
        )
        if not rearmed:
            if not deliveries.exists():
                raise NotFound(f"Delivery {delivery_id} of webhook {subscription_id} not found.")
            raise Conflict("This delivery is being attempted right now; try again in a few seconds.")
        transaction.on_commit(partial(_enqueue, [delivery_id]), robust=True)
    return deliveries.select_related("event").get()


def sweep_deliveries(*, limit: int = SWEEP_BATCH) -> dict[str, int]:
    """Take ran-out claims for failed attempts, and send a task for every delivery that is due
    and has had none sent for a while (WEBHOOK_REQUEUE_SECONDS)."""
    now = timezone.now()
    lost = list(
        Delivery.objects.filter(state=Delivery.State.PENDING, leased_until__lt=now).only(
            "id", "subscription_id", "failures", "lease"
        )[:limit]
    )
    for delivery in lost:
        outcome = sender.Outcome(None, "The attempt did not finish: the worker making it stopped.")
        record_outcome(delivery=delivery, lease=delivery.lease, outcome=outcome)
    due = queue_due(Delivery, now=now, requeue_seconds=settings.WEBHOOK_REQUEUE_SECONDS, limit=limit)
    if due:
        _enqueue(due)
    return {"lost": len(lost), "queued": len(due)}
