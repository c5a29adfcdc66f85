"""What the apps' services do alike: read a row under its lock, save a row whose unique column
another request may have taken, and the rows a worker sends (emails, webhook deliveries): send
their tasks, claim one for an attempt with a lease, schedule a failed attempt's retry, and pick
those due that no task is on its way for."""

import logging
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import capfirst
from kombu.exceptions import KombuError

from core.errors import InvalidInput, NotFound

ModelT = TypeVar("ModelT", bound=models.Model)
logger = logging.getLogger(__name__)
# A retry due within this many seconds is sent to the broker as a delayed task; a later one is
# left to the sweep (queue_due): a broker holds delayed tasks in the workers' memory, and Redis
# hands an unacknowledged one to another worker after its visibility timeout.
COUNTDOWN_LIMIT_SECONDS = 60


def locked_row(model: type[ModelT], pk: int) -> ModelT:
    """The row of `model` with this primary key, locked (SELECT ... FOR UPDATE) until the
    transaction ends, or NotFound ("Inventory item 7 not found.", after the model's verbose name)."""
    row = model.objects.select_for_update().filter(pk=pk).first()
    if row is None:
        raise NotFound(f"{capfirst(model._meta.verbose_name)} {pk} not found.")
    return row


def save_unique(row: ModelT, *, field: str, message: str) -> ModelT:
    """Save `row` in a savepoint. Its serializer or form checked that the unique `field` was free;
    a concurrent request that took it since makes the save an IntegrityError, which becomes
    InvalidInput on `field`, the caller's transaction still usable."""
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as exc:
        raise InvalidInput("Invalid input.", {field: [message]}) from exc
    return row


def send_tasks(task, pks: Iterable, *, countdown: float | None = None) -> None:
    """Send the Celery `task` for each primary key, without retries: the change has committed, and
    its request should not wait on a broker that is down. One the broker refuses is logged and
    left to the sweep, which sends a task for every row that is due."""
    for pk in pks:
        try:
            task.apply_async((pk,), countdown=countdown, retry=False)
        except (KombuError, OSError) as exc:
            logger.warning("%s(%s) not sent to the broker (%s); the sweep will send it.", task.name, pk, exc)


def claim_lease(model: type[models.Model], *, pk: int, seconds: float, attempts_field: str) -> uuid.UUID | None:
    """Claim the row of `model` with this primary key for one attempt, if it is pending, due
    (next_attempt_at passed) and not leased: one conditional UPDATE sets a new `lease`, leased
    until `seconds` from now, and counts the attempt in `attempts_field`. The lease, or None when
    another worker holds the row or it is not due (however many copies of a task run, one wins)."""
    now = timezone.now()
    lease = uuid.uuid4()
    claimed = model.objects.filter(pk=pk, state="pending", next_attempt_at__lte=now, lease__isnull=True).update(
        lease=lease, leased_until=now + timedelta(seconds=seconds), **{attempts_field: F(attempts_field) + 1}
    )
    return lease if claimed else None


def retry_fields(*, failures: int, schedule: Sequence[float], now: datetime) -> tuple[dict, float | None]:
    """A failed attempt to be tried again after the schedule's next wait (`failures` attempts
    failed before it): the fields that record it, and the countdown of the delayed task to send
    once they are committed (None when the retry is further off than COUNTDOWN_LIMIT_SECONDS: the
    sweep sends it)."""
    retry_in = schedule[failures]
    countdown = retry_in if retry_in <= COUNTDOWN_LIMIT_SECONDS else None
    fields = {
        "failures": failures + 1,
        "next_attempt_at": now + timedelta(seconds=retry_in),
        "queued_at": now if countdown is not None else None,
    }
    return fields, countdown


def queue_due(model: type[models.Model], *, now: datetime, requeue_seconds: float, limit: int) -> list[int]:
    """The primary keys of up to `limit` rows of `model` that are pending, not leased and due, and
    had no task sent for them in the last `requeue_seconds` (queued_at), the longest due first;
    marked queued `now`. The caller sends their tasks."""
    quiet_since = now - timedelta(seconds=requeue_seconds)
    due = list(
        model.objects.filter(state="pending", lease__isnull=True, next_attempt_at__lte=now)
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=quiet_since))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    if due:
        model.objects.filter(pk__in=due).update(queued_at=now)
    return due


def delete_in_batches(queryset: models.QuerySet, *, batch: int = 1000) -> int:
    """Delete the rows of `queryset` a batch at a time, each batch in a transaction of its own (no
    long lock on a table others write to); returns how many were deleted."""
    removed = 0
    while ids := list(queryset.order_by().values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            queryset.model.objects.filter(pk__in=ids).delete()
        removed += len(ids)
    return removed
