from django.db import models
from django.db.models.functions import Lower

from core.text import NormalizedTextModel, normalize_email, normalize_text


class Mechanic(NormalizedTextModel):
    name = models.CharField(max_length=255)
    email = models.EmailField(max_length=255, unique=True)
    phone = models.CharField(max_length=32)
    salary = models.DecimalField(max_digits=12, decimal_places=2)
    # How many tickets the mechanic is on, kept by database triggers on the assignment table
    # (tickets/migrations/0002) so the ranking reads a few rows instead of counting them all.
    ticket_count = models.PositiveIntegerField(default=0, editable=False)

    normalized_fields = {"name": normalize_text, "phone": normalize_text, "email": normalize_email}

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(salary__gte=0), name="mechanic_salary_not_negative"),
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="mechanic_email_lowercase"),
            models.CheckConstraint(condition=~models.Q(name=""), name="mechanic_name_not_empty"),
            models.CheckConstraint(condition=models.Q(ticket_count__gte=0), name="mechanic_ticket_count_not_negative"),
        ]
        indexes = [models.Index(fields=["-ticket_count", "id"], name="mechanic_ranking_idx")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert") and kwargs.get("update_fields") is None:
            # The count changes only through atomic increments; saving a stale copy of it here
            # (a row read before an assignment) would undo assignments made meanwhile.
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name != "ticket_count"
            ]
        super().save(*args, **kwargs)
