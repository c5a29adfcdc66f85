from django.db import models
from django.db.models.functions import Lower

from core.text import normalize_text

DUPLICATE_NAME = "An inventory item with this name already exists."


class Inventory(models.Model):
    """A part or supply the shop puts on tickets."""

    name = models.CharField(max_length=360)
    price = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["id"]
        verbose_name = "inventory item"
        verbose_name_plural = "inventory"
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="inventory_price_not_negative"),
            models.CheckConstraint(condition=~models.Q(name=""), name="inventory_name_not_empty"),
            # PostgreSQL and SQLite index lower(name). MariaDB has no expression indexes (Django
            # skips this one there) and relies on the case-insensitive collation of the plain
            # unique index below, which elsewhere is implied by this one and serves lookups.
            models.UniqueConstraint(
                Lower("name"), name="inventory_name_ci_unique",
                violation_error_message=DUPLICATE_NAME,
            ),
            models.UniqueConstraint(fields=["name"], name="inventory_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # Before the admin's form checks the unique constraints: "Brake\u200b Pad" is the
        # "Brake Pad" it looks like.
        super().clean()
        if isinstance(self.name, str):
            self.name = normalize_text(self.name)

    def save(self, *args, **kwargs):
        # Whatever writes the item (API, admin, a service, a script), its name is stored as the
        # API compares names: NFKC, without invisible characters or surrounding spaces.
        if isinstance(self.name, str):
            self.name = normalize_text(self.name)
        super().save(*args, **kwargs)
