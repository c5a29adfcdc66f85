"""The idempotency services: claiming a key, completing and releasing it, pruning old keys (and
the beat schedule that prunes them)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from idempotency import services, tasks
from idempotency.models import IdempotencyKey, State

pytestmark = pytest.mark.django_db

PRINT = services.Fingerprint("POST", "/tickets/1/payments", "a" * 64)


def test_the_first_claim_is_new_and_started():
    claim = services.claim(caller="auth.user:1", key="k", fingerprint=PRINT)

    assert not claim.replay
    assert IdempotencyKey.objects.get().state == State.STARTED


def test_a_completed_key_is_replayed():
    first = services.claim(caller="auth.user:1", key="k", fingerprint=PRINT)
    services.complete(record=first.record, status=201, headers={"Location": "/x"}, body=b"{}")

    again = services.claim(caller="auth.user:1", key="k", fingerprint=PRINT)

    assert again.replay
    assert (again.record.response_status, again.record.response_headers, bytes(again.record.response_body)) == (
        201,
        {"Location": "/x"},
        b"{}",
    )


def test_a_started_key_is_in_progress_and_another_request_is_reused():
    services.claim(caller="auth.user:1", key="k", fingerprint=PRINT)

    with pytest.raises(services.KeyInProgress):
        services.claim(caller="auth.user:1", key="k", fingerprint=PRINT)
    with pytest.raises(services.KeyReused):
        services.claim(caller="auth.user:1", key="k", fingerprint=services.Fingerprint("POST", "/tickets/2", "a" * 64))


def test_a_released_key_is_free_again():
    first = services.claim(caller="auth.user:1", key="k", fingerprint=PRINT)
    services.release(record=first.record)

    assert not services.claim(caller="auth.user:1", key="k", fingerprint=PRINT).replay


def test_an_answer_stored_in_a_rolled_back_transaction_is_not_kept():
    claim = services.claim(caller="auth.user:1", key="k", fingerprint=PRINT)
    with transaction.atomic():
        services.complete(record=claim.record, status=201, headers={}, body=b"{}")
        transaction.set_rollback(True)

    assert IdempotencyKey.objects.get().state == State.STARTED


def test_prune_removes_only_keys_past_their_lifetime():
    now = timezone.now()
    old = now - timedelta(seconds=settings.IDEMPOTENCY_KEY_SECONDS + 1)
    services.claim(caller="auth.user:1", key="old", fingerprint=PRINT, now=old)
    services.claim(caller="auth.user:1", key="new", fingerprint=PRINT, now=now)

    assert tasks.prune() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_prune_is_on_the_beat_schedule():
    entries = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]

    assert "idempotency.tasks.prune" in entries
