from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class Action(models.TextChoices):
    """What a change did, in the services' words: a ticket's (API.md "Who may change a ticket,
    and when") and, for customers, vehicles, inventory items and mechanics, update and delete."""

    UPDATE = "update"
    DELETE = "delete"
    LINE_ADDED = "line_added"
    LINE_REMOVED = "line_removed"
    PART_ADDED = "part_added"
    PART_REMOVED = "part_removed"
    MECHANIC_ADDED = "mechanic_added"
    MECHANIC_REMOVED = "mechanic_removed"
    PAYMENT = "payment"
    TRANSITION = "transition"
    APPROVAL = "approval"


class Change(models.Model):
    """One change of a record after its creation: when, by whom, what (`action`) and how
    (`changes`: for an update each changed field's [old, new], else a description of the line,
    part, mechanic, payment or move). Written by the services in the transaction of the change
    itself (audit.services.record_changes), and never changed or deleted afterwards: nothing in
    the API or the admin writes it. The record is named by content type and id, not by a foreign
    key, so the trail of a deleted customer or mechanic stays."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    at = models.DateTimeField()
    by = models.CharField(max_length=255, blank=True)  # staff username or customer email
    action = models.CharField(max_length=32, choices=Action.choices)
    # Decimals are kept as strings ("12.50"), dates as ISO strings: exact, never a float.
    changes = models.JSONField(encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(action__in=Action.values), name="audit_change_action_valid"),
        ]
        # One record's trail, oldest first: GET /tickets/<id>/changes and the admin's inlines.
        indexes = [models.Index(fields=["content_type", "object_id", "id"], name="audit_change_record_idx")]

    def __str__(self) -> str:
        return f"{self.action} of {self.content_type.model} {self.object_id} by {self.by or '?'}"
