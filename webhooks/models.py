from django.db import models
from django.utils import timezone

from events.models import Event
from webhooks.addresses import MAX_URL_LENGTH


class Subscription(models.Model):
    """Another system that wants the shop's events of some types, POSTed to its URL."""

    url = models.CharField(max_length=MAX_URL_LENGTH)
    # The URL's SHA-256 (hex): one subscription per URL. (An index over the URL itself would be
    # longer than MariaDB allows.)
    url_digest = models.CharField(max_length=64, unique=True, editable=False)
    # Event types (events.models.EventType values), or ["*"] for every type.
    events = models.JSONField()
    description = models.CharField(max_length=255, blank=True)
    # Standard Webhooks: "whsec_" + base64 of 32 random bytes. Kept as it is, since every
    # delivery is signed with it; shown once, in the answer to the subscription.
    secret = models.CharField(max_length=64, editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Since when every attempt has failed (None after a success); after WEBHOOK_DISABLE_AFTER_DAYS
    # of that, the subscription is disabled.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "webhook"

    def __str__(self) -> str:
        return f"Webhook {self.pk} ({self.url[:80]})"

    def wants(self, event_type: str) -> bool:
        return "*" in self.events or event_type in self.events


class Delivery(models.Model):
    """One event owed to one subscription, and how its attempts went so far."""

    class State(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="webhook_deliveries")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempt = models.PositiveIntegerField(default=0)  # attempts made, redeliveries included
    # Failed attempts since the delivery was made or redelivered: the step of the retry schedule.
    failures = models.PositiveSmallIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)  # of the last attempt
    error = models.CharField(max_length=500, blank=True)  # of the last attempt
    at = models.DateTimeField(null=True, blank=True)  # when the last attempt ended
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # while pending
    # A worker's claim on the delivery while it sends: `lease` names the claim, `leased_until`
    # is when the sweep takes it for a lost attempt (the worker died).
    lease = models.UUIDField(null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    # When a task for it was last sent to the broker; the sweep sends another only after a while.
    queued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="delivery_unique_per_event"),
            models.CheckConstraint(
                condition=models.Q(state__in=["pending", "delivered", "failed"]), name="delivery_state_valid"
            ),
        ]
        indexes = [
            # The sweep: pending deliveries that are due, or whose worker's claim ran out.
            models.Index(fields=["state", "next_attempt_at"], name="delivery_due_idx"),
            models.Index(fields=["state", "leased_until"], name="delivery_lease_idx"),
        ]

    def __str__(self) -> str:
        return f"Delivery {self.pk} of {self.event_id} to webhook {self.subscription_id}"
