"""Claiming a caller's Idempotency-Key, storing the answer of the request that claimed it, and
pruning keys past their lifetime.

A key is claimed by inserting its row, committed at once (state "started"), before the request
is carried out: a concurrent duplicate then fails to insert (the unique constraint on caller and
key) and finds the first still running (409) or done (its answer replayed). The answer is stored
in the transaction of the change itself (`complete`), so it exists exactly when the change
committed; a request that fails leaves nothing done and its key is released (`release`), free for
a retry.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import Conflict, ServiceError
from core.services import delete_in_batches
from idempotency.models import IdempotencyKey, State


class KeyReused(ServiceError):
    """The key was first sent with another request (method, path or body)."""


class KeyInProgress(Conflict):
    """The request that first sent the key is still being carried out."""


@dataclass(frozen=True)
class Fingerprint:
    method: str
    path: str
    body_sha256: str


@dataclass(frozen=True)
class Claim:
    record: IdempotencyKey
    replay: bool  # True: the key's request was carried out already; answer with its record


def _lifetime() -> timedelta:
    return timedelta(seconds=settings.IDEMPOTENCY_KEY_SECONDS)


def claim(*, caller: str, key: str, fingerprint: Fingerprint, now: datetime | None = None) -> Claim:
    """Claim `key` for `caller`'s request: a new claim (carry the request out, then `complete`
    or `release`), or the record to replay. KeyReused when the key came with another request,
    KeyInProgress while the first is running. Call it outside the change's transaction."""
    now = now or timezone.now()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    caller=caller,
                    key=key,
                    method=fingerprint.method,
                    path=fingerprint.path,
                    body_sha256=fingerprint.body_sha256,
                    created_at=now,
                    locked_at=now,
                )
            return Claim(record=record, replay=False)
        except IntegrityError:
            pass
        record = IdempotencyKey.objects.filter(caller=caller, key=key).first()
        if record is None:  # released or pruned since: claim it again
            continue
        if record.created_at <= now - _lifetime():  # expired, not pruned yet: a new key
            IdempotencyKey.objects.filter(pk=record.pk, created_at=record.created_at).delete()
            continue
        if Fingerprint(record.method, record.path, record.body_sha256) != fingerprint:
            raise KeyReused("This Idempotency-Key was already used with a different request.")
        if record.state == State.COMPLETED:
            return Claim(record=record, replay=True)
        # Started, and its request long gone (a worker killed mid-request): take it over, once.
        stale = now - timedelta(seconds=settings.IDEMPOTENCY_ABANDONED_SECONDS)
        if (
            record.locked_at <= stale
            and IdempotencyKey.objects.filter(pk=record.pk, state=State.STARTED, locked_at=record.locked_at).update(
                locked_at=now
            )
            == 1
        ):
            record.locked_at = now
            return Claim(record=record, replay=False)
        raise KeyInProgress("A request with this Idempotency-Key is still being carried out; try again shortly.")
    raise KeyInProgress("A request with this Idempotency-Key is still being carried out; try again shortly.")


def complete(*, record: IdempotencyKey, status: int, headers: dict[str, str], body: bytes) -> None:
    """Store the answer of the claimed request. Call it in the change's transaction."""
    IdempotencyKey.objects.filter(pk=record.pk).update(
        state=State.COMPLETED, response_status=status, response_headers=headers, response_body=body
    )


def release(*, record: IdempotencyKey) -> None:
    """Free the key of a request that failed (its change rolled back): a retry carries it out."""
    IdempotencyKey.objects.filter(pk=record.pk, state=State.STARTED, locked_at=record.locked_at).delete()


def prune_keys(*, now: datetime | None = None) -> int:
    """Remove keys older than IDEMPOTENCY_KEY_SECONDS; returns how many."""
    cutoff = (now or timezone.now()) - _lifetime()
    return delete_in_batches(IdempotencyKey.objects.filter(created_at__lte=cutoff))
