"""The answers kept for `Idempotency-Key` (API.md "Safe retries and concurrent edits")."""

from django.db import models
from django.utils import timezone


class State(models.TextChoices):
    STARTED = "started"  # the first request is being carried out
    COMPLETED = "completed"  # its answer is stored and replayed to repeats


class IdempotencyKey(models.Model):
    """One caller's key: the request it was first sent with and, once that request has
    committed, its answer. The unique constraint on (caller, key) is what lets exactly one of
    concurrent identical requests be carried out: the others fail to insert their row."""

    # Who sent it ("auth.user:3", "customers.customer:12"): keys are per caller.
    caller = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    # The request's fingerprint: a repeat must match all three (else 422).
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    body_sha256 = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State.choices, default=State.STARTED)
    created_at = models.DateTimeField(default=timezone.now)
    # When the request carrying it out started; a started key this old is taken as abandoned.
    locked_at = models.DateTimeField(default=timezone.now)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    response_body = models.BinaryField(default=b"", blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="idempotency_key_unique_per_caller"),
            models.CheckConstraint(condition=models.Q(state__in=State.values), name="idempotency_key_state_valid"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.caller} {self.key}"
