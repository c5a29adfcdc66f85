from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact

from customers.models import Customer
from vehicles.vin import validate_vin


class Vehicle(models.Model):
    """A customer's car, identified by its VIN; its tickets are its service history."""

    # CASCADE: a customer can only be deleted when they have no tickets, and a vehicle with
    # tickets is protected by the tickets' own foreign key.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="vehicles")
    vin = models.CharField("VIN", max_length=17, unique=True, validators=[validate_vin])
    # Vehicles created from the VINs of older tickets have no year, make or model yet.
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    make = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=100, blank=True)
    license_plate = models.CharField(max_length=16, blank=True)
    # The highest odometer reading of the vehicle's tickets, kept up to date by
    # tickets.services.refresh_mileage.
    mileage = models.PositiveIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Exact(Length("vin"), 17), name="vehicle_vin_17_characters"),
        ]
        indexes = [models.Index(fields=["customer", "id"], name="vehicle_customer_idx")]

    def __str__(self) -> str:
        description = " ".join(str(part) for part in (self.year, self.make, self.model) if part)
        return f"{description} ({self.vin})" if description else self.vin
