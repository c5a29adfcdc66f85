from django.db import models
from django.db.models.functions import Lower

from core.text import NormalizedTextModel, normalize_text

DUPLICATE_NAME = "An inventory item with this name already exists."


class Inventory(NormalizedTextModel):
    """A part or supply the shop puts on tickets."""

    name = models.CharField(max_length=360)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    # None: the shop does not count this item. Changed only through inventory.stock, which
    # writes a StockMovement for every change.
    quantity_on_hand = models.IntegerField(null=True, blank=True, editable=False)
    reorder_point = models.PositiveIntegerField(default=0)

    normalized_fields = {"name": normalize_text}

    class Meta:
        ordering = ["id"]
        verbose_name = "inventory item"
        verbose_name_plural = "inventory"
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="inventory_price_not_negative"),
            models.CheckConstraint(condition=~models.Q(name=""), name="inventory_name_not_empty"),
            # Stock can never be oversold: a consumption that would go below zero fails here
            # even if a service forgot to check.
            models.CheckConstraint(
                condition=models.Q(quantity_on_hand__isnull=True) | models.Q(quantity_on_hand__gte=0),
                name="inventory_on_hand_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(reorder_point__gte=0), name="inventory_reorder_point_not_negative"
            ),
            # PostgreSQL and SQLite index lower(name). MariaDB has no expression indexes (Django
            # skips this one there) and relies on the case-insensitive collation of the plain
            # unique index below, which elsewhere is implied by this one and serves lookups.
            models.UniqueConstraint(
                Lower("name"),
                name="inventory_name_ci_unique",
                violation_error_message=DUPLICATE_NAME,
            ),
            models.UniqueConstraint(fields=["name"], name="inventory_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class StockMovement(models.Model):
    """One change of an item's quantity on hand. Append-only: the ledger of an item sums to its
    `quantity_on_hand`, because every change of that column writes its movement in the same
    transaction (inventory.stock)."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt"
        ADJUSTMENT = "adjustment"
        CONSUMPTION = "consumption"
        RETURN = "return"

    # PROTECT: the ledger is history, and an item with movements is kept.
    item = models.ForeignKey(Inventory, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    quantity = models.IntegerField()  # signed: consumption is negative, a receipt positive
    balance_after = models.IntegerField()
    # The ticket a consumption or return was for. Named by its label, so no inventory module
    # imports tickets (tickets builds on inventory); still a foreign key, as the history it
    # protects needs, and the ledger's `ticket_id` (README "How a request is answered").
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.PROTECT, null=True, blank=True, related_name="stock_movements"
    )
    at = models.DateTimeField(auto_now_add=True)
    by = models.CharField(max_length=255, blank=True)  # staff username or customer email
    note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(quantity=0), name="stockmovement_quantity_not_zero"),
            models.CheckConstraint(condition=models.Q(balance_after__gte=0), name="stockmovement_balance_not_negative"),
            models.CheckConstraint(
                condition=models.Q(kind__in=["receipt", "adjustment", "consumption", "return"]),
                name="stockmovement_kind_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="receipt") | models.Q(quantity__gt=0), name="stockmovement_receipt_positive"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="consumption") | models.Q(quantity__lt=0),
                name="stockmovement_consumption_negative",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="return") | models.Q(quantity__gt=0), name="stockmovement_return_positive"
            ),
        ]
        indexes = [models.Index(fields=["item", "id"], name="stockmovement_item_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity:+d} of {self.item_id}"
