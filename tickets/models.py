from django.db import models

from customers.models import Customer
from inventory.models import Inventory
from mechanics.models import Mechanic


class Ticket(models.Model):
    """A service ticket: one visit of one vehicle, the work done on it, by whom, with which parts."""

    vin = models.CharField("VIN", max_length=17)
    service_date = models.DateField()
    service_description = models.CharField(max_length=1000)
    # PROTECT: a customer's service history is never deleted as a side effect.
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets")
    mechanics = models.ManyToManyField(Mechanic, through="TicketMechanic", related_name="tickets")
    parts = models.ManyToManyField(Inventory, through="TicketInventory", related_name="tickets")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(vin=""), name="ticket_vin_not_empty"),
            models.CheckConstraint(
                condition=~models.Q(service_description=""), name="ticket_description_not_empty"
            ),
        ]
        indexes = [
            models.Index(fields=["service_date"], name="ticket_service_date_idx"),
            models.Index(fields=["vin"], name="ticket_vin_idx"),
        ]

    def __str__(self) -> str:
        return f"Ticket {self.pk} ({self.vin})"


class TicketMechanic(models.Model):
    """A mechanic who works on a ticket. A mechanic with tickets cannot be deleted."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="mechanic_links")
    mechanic = models.ForeignKey(Mechanic, on_delete=models.PROTECT, related_name="ticket_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "mechanic"], name="ticket_mechanic_unique"),
        ]
        # The (ticket, mechanic) index serves lookups by ticket; this one serves the ranking.
        indexes = [models.Index(fields=["mechanic", "ticket"], name="ticketmechanic_mechanic_idx")]

    def __str__(self) -> str:
        return f"{self.mechanic} on ticket {self.ticket_id}"


class TicketInventory(models.Model):
    """A parts line on a ticket: which inventory item, how many. Used items cannot be deleted."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="part_lines")
    inventory = models.ForeignKey(Inventory, on_delete=models.PROTECT, related_name="ticket_lines")
    quantity = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "parts line"
        constraints = [
            models.UniqueConstraint(fields=["ticket", "inventory"], name="ticket_inventory_unique"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="ticket_inventory_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.inventory} on ticket {self.ticket_id}"
