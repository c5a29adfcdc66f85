from django.db import models

from customers.models import Customer
from inventory.models import Inventory
from mechanics.models import Mechanic
from vehicles.models import Vehicle


class Status(models.TextChoices):
    ESTIMATE = "estimate", "Estimate"
    APPROVED = "approved", "Approved"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    INVOICED = "invoiced", "Invoiced"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


# A ticket in one of these statuses is frozen (API.md: "locked"): it is history, and nothing
# about it changes any more, except the payments of an invoiced ticket and its move to closed.
FROZEN_STATUSES = frozenset({Status.INVOICED, Status.CLOSED, Status.CANCELLED})


class Ticket(models.Model):
    """A service ticket: one visit of one vehicle, the work done on it, by whom, with which parts."""

    vin = models.CharField("VIN", max_length=17)
    service_date = models.DateField()
    service_description = models.CharField(max_length=1000)
    # PROTECT: a customer's service history is never deleted as a side effect.
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets")
    # Changed only by tickets.workflow.transition, which records every change in StatusChange.
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ESTIMATE, editable=False)
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets")
    mileage_in = models.PositiveIntegerField(null=True, blank=True)
    mileage_out = models.PositiveIntegerField(null=True, blank=True)
    # The total the customer last approved (None before any approval): set by approving the
    # estimate and by each supplemental approval (tickets.workflow), nowhere else.
    approved_total = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True, editable=False)
    mechanics = models.ManyToManyField(Mechanic, through="TicketMechanic", related_name="tickets")
    parts = models.ManyToManyField(Inventory, through="TicketInventory", related_name="tickets")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(vin=""), name="ticket_vin_not_empty"),
            models.CheckConstraint(condition=~models.Q(service_description=""), name="ticket_description_not_empty"),
            models.CheckConstraint(condition=models.Q(status__in=Status.values), name="ticket_status_valid"),
            models.CheckConstraint(
                condition=models.Q(mileage_in__isnull=True)
                | models.Q(mileage_out__isnull=True)
                | models.Q(mileage_out__gte=models.F("mileage_in")),
                name="ticket_mileage_out_not_below_in",
            ),
        ]
        # Each list filter with the id after it: a filtered page in the default order (or ordered
        # by that column) is read in index order and stops after the page.
        indexes = [
            models.Index(fields=["service_date", "id"], name="ticket_service_date_id_idx"),
            models.Index(fields=["vin", "id"], name="ticket_vin_id_idx"),
            models.Index(fields=["status", "id"], name="ticket_status_id_idx"),
            models.Index(fields=["customer", "id"], name="ticket_customer_id_idx"),
            # A vehicle's service history, newest first (GET /vehicles/<id>/tickets).
            models.Index(fields=["vehicle", "service_date", "id"], name="ticket_vehicle_history_idx"),
        ]

    def __str__(self) -> str:
        return f"Ticket {self.pk} ({self.vin})"

    @property
    def is_frozen(self) -> bool:
        return self.status in FROZEN_STATUSES


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
    # The item's price when the part was put on the ticket: later price changes do not reach it.
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = "parts line"
        constraints = [
            models.UniqueConstraint(fields=["ticket", "inventory"], name="ticket_inventory_unique"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="ticket_inventory_quantity_positive"),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="ticket_inventory_unit_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.inventory} on ticket {self.ticket_id}"


class TicketLine(models.Model):
    """A labor or fee line: hours (or units) times a rate, optionally the work of one mechanic."""

    class Kind(models.TextChoices):
        LABOR = "labor"
        FEE = "fee"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    description = models.CharField(max_length=255)
    quantity = models.DecimalField(max_digits=8, decimal_places=2)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    # PROTECT: a mechanic whose work is billed on a ticket is kept, like an assigned one.
    mechanic = models.ForeignKey(Mechanic, on_delete=models.PROTECT, null=True, blank=True, related_name="ticket_lines")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=["labor", "fee"]), name="ticketline_kind_valid"),
            models.CheckConstraint(condition=~models.Q(description=""), name="ticketline_description_not_empty"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="ticketline_quantity_positive"),
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="ticketline_unit_price_not_negative"),
        ]
        indexes = [models.Index(fields=["ticket", "id"], name="ticketline_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description}"


class StatusChange(models.Model):
    """One entry of a ticket's history: its creation (from_status None) or a transition."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="status_changes")
    # None (not "") marks the creation entry, which has no status before it.
    from_status = models.CharField(max_length=16, choices=Status.choices, null=True, blank=True)  # noqa: DJ001
    to_status = models.CharField(max_length=16, choices=Status.choices)
    at = models.DateTimeField()
    by = models.CharField(max_length=255, blank=True)  # staff username or customer email
    note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["ticket", "id"], name="statuschange_ticket_idx")]

    def __str__(self) -> str:
        return f"Ticket {self.ticket_id}: {self.from_status or 'new'} → {self.to_status}"


class Invoice(models.Model):
    """A ticket's invoice, made when it moves to invoiced. Its id is the invoice number: the
    database's own sequence, unique, increasing and never reused (AUTOINCREMENT on SQLite), so
    concurrent invoicing needs no lock of its own. The totals and tax rate are frozen here."""

    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="invoice")
    issued_at = models.DateTimeField()
    tax_rate = models.DecimalField(max_digits=6, decimal_places=5)
    parts = models.DecimalField(max_digits=14, decimal_places=2)
    labor = models.DecimalField(max_digits=14, decimal_places=2)
    fees = models.DecimalField(max_digits=14, decimal_places=2)
    subtotal = models.DecimalField(max_digits=14, decimal_places=2)
    tax = models.DecimalField(max_digits=14, decimal_places=2)
    total = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tax_rate__gte=0) & models.Q(tax_rate__lt=1), name="invoice_tax_rate_fraction"
            ),
        ]
        # Reports select invoices by date (the range of one month, a day...).
        indexes = [models.Index(fields=["issued_at"], name="invoice_issued_at_idx")]

    def __str__(self) -> str:
        return f"Invoice {self.pk} (ticket {self.ticket_id})"


class Payment(models.Model):
    """A payment (positive) or refund (negative) on an invoiced ticket. Append-only."""

    class Method(models.TextChoices):
        CASH = "cash"
        CARD = "card"
        CHECK = "check"
        OTHER = "other"

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    method = models.CharField(max_length=8, choices=Method.choices)
    reference = models.CharField(max_length=255, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    by = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="payment_amount_not_zero"),
            models.CheckConstraint(
                condition=models.Q(method__in=["cash", "card", "check", "other"]), name="payment_method_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["ticket", "id"], name="payment_ticket_idx"),
            models.Index(fields=["at"], name="payment_at_idx"),  # the payments report, by date
        ]

    def __str__(self) -> str:
        return f"{self.amount} by {self.method} on ticket {self.ticket_id}"


class TicketStatusCount(models.Model):
    """How many tickets are in each status, kept by database triggers on tickets_ticket
    (tickets/migrations/0007) whatever writes it: services, bulk inserts, queryset updates, raw
    SQL. The ticket list's X-Total-Count reads it instead of counting a million rows. A status
    without a row has no tickets. Writes other than the triggers' belong to
    tickets.services.recount_ticket_statuses only."""

    status = models.CharField(max_length=16, choices=Status.choices, primary_key=True)
    ticket_count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["status"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ticket_count__gte=0), name="ticket_status_count_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.status}: {self.ticket_count}"
