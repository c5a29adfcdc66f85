"""What the shop owes its customers by email (an outbox of its own, beside events'), and the
estimate links it sent."""

from django.db import models
from django.utils import timezone

from tickets.models import Payment, Ticket


class EstimateLink(models.Model):
    """An approval link sent to a ticket's customer (POST /tickets/<id>/send-estimate): the total
    it was sent for, and whether (and how) it was used. A link works once."""

    class Purpose(models.TextChoices):
        ESTIMATE = "estimate"  # approve or decline the estimate
        SUPPLEMENTAL = "supplemental"  # approve or decline a total raised after the approval

    class Decision(models.TextChoices):
        APPROVED = "approved"
        DECLINED = "declined"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="estimate_links")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    sent_at = models.DateTimeField(default=timezone.now)
    sent_by = models.CharField(max_length=255, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(purpose__in=["estimate", "supplemental"]), name="estimate_link_purpose_valid"
            ),
            # Used exactly when decided.
            models.CheckConstraint(
                condition=(models.Q(used_at__isnull=True) & models.Q(decision=""))
                | (models.Q(used_at__isnull=False) & models.Q(decision__in=["approved", "declined"])),
                name="estimate_link_used_when_decided",
            ),
        ]

    def __str__(self) -> str:
        return f"Estimate link {self.pk} for ticket {self.ticket_id} ({self.total})"


class Email(models.Model):
    """One email owed to a customer, written in the transaction of the change that owes it, and
    how its sending went. Sent by a worker after that commit (notifications.services.send_email)."""

    class Kind(models.TextChoices):
        ESTIMATE = "estimate"
        VEHICLE_READY = "vehicle_ready"
        INVOICE = "invoice"
        RECEIPT = "receipt"
        PASSWORD_RESET = "password_reset"

    class State(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"  # every attempt of the retry schedule failed
        SKIPPED = "skipped"  # nothing to send: a reset asked for an email no customer has

    kind = models.CharField(max_length=16, choices=Kind.choices)
    to = models.CharField(max_length=255)  # the address; for a reset, the one asked about
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="emails")
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, null=True, blank=True, related_name="emails")
    link = models.ForeignKey(EstimateLink, on_delete=models.CASCADE, null=True, blank=True, related_name="emails")
    # The outbox event that owed it (events.Event, pruned after a while): one email per event.
    event_id = models.UUIDField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    failures = models.PositiveSmallIntegerField(default=0)  # the step of the retry schedule
    error = models.CharField(max_length=500, blank=True)  # of the last attempt
    sent_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # while pending
    # A worker's claim while it sends (as webhooks.Delivery's): the sweep takes one that ran out.
    lease = models.UUIDField(null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)  # when a task for it last went to the broker

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["estimate", "vehicle_ready", "invoice", "receipt", "password_reset"]),
                name="email_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["pending", "sent", "failed", "skipped"]), name="email_state_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="email_due_idx"),
            models.Index(fields=["state", "leased_until"], name="email_lease_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} email {self.pk} to {self.to}"
