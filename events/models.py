"""The transactional outbox: every event the shop publishes is a row written in the same
transaction as the change it tells of, so it exists exactly when the change committed."""

import uuid

from django.db import models
from django.utils import timezone


class EventType(models.TextChoices):
    TICKET_CREATED = "ticket.created"
    TICKET_UPDATED = "ticket.updated"
    TICKET_STATUS_CHANGED = "ticket.status_changed"
    INVOICE_ISSUED = "invoice.issued"
    PAYMENT_RECEIVED = "payment.received"
    STOCK_LOW = "stock.low"
    CUSTOMER_CREATED = "customer.created"
    VEHICLE_CREATED = "vehicle.created"


class Event(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=64, choices=EventType.choices)
    created_at = models.DateTimeField(default=timezone.now)
    # The JSON document delivered, {"id", "type", "created_at", "data"}, as text: the exact bytes
    # every attempt sends (and signs), with money as the API writes it, never through a float.
    payload = models.TextField()
    # When the event was handed to its consumers (webhooks.Delivery rows made); None until then.
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(type__in=EventType.values), name="event_type_valid")]
        indexes = [
            # The sweep's "not dispatched yet, oldest first" and the prune's "dispatched before".
            models.Index(fields=["dispatched_at", "created_at"], name="event_dispatch_idx"),
            models.Index(fields=["created_at"], name="event_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"
