from django.utils import timezone
from rest_framework import serializers

from core.limits import MAX_ID
from core.serializers import ModelSerializer, StrictIntegerField
from core.text import NormalizedCharField
from vehicles import selectors
from vehicles.models import Vehicle
from vehicles.services import DUPLICATE_VIN
from vehicles.vin import vin_problem

FIRST_MODEL_YEAR = 1886  # the Benz Patent-Motorwagen


class VehicleSerializer(ModelSerializer):
    customer_id = StrictIntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="Required from staff; a customer's vehicles are their own.",
    )
    vin = NormalizedCharField(
        max_length=50, help_text="17 letters and digits without I, O or Q, with a valid check digit; stored upper-case."
    )
    year = StrictIntegerField(
        min_value=FIRST_MODEL_YEAR,
        help_text="Model year, up to next year's models. Null only for vehicles made from older tickets.",
    )
    make = NormalizedCharField(max_length=100)
    model = NormalizedCharField(max_length=100)
    license_plate = NormalizedCharField(max_length=16, required=False, allow_blank=True, default="")
    mileage = StrictIntegerField(
        read_only=True, allow_null=True, help_text="The highest odometer reading of the vehicle's tickets."
    )

    class Meta:
        model = Vehicle
        fields = ["id", "customer_id", "vin", "year", "make", "model", "license_plate", "mileage"]

    def validate_vin(self, value: str) -> str:
        value = value.upper()
        if problem := vin_problem(value):
            raise serializers.ValidationError(problem)
        if selectors.vin_taken(vin=value, exclude_id=self.instance.pk if self.instance else None):
            raise serializers.ValidationError(DUPLICATE_VIN)
        return value

    def validate_year(self, value: int) -> int:
        if value > (last := timezone.now().year + 1):
            raise serializers.ValidationError(f"Ensure this value is less than or equal to {last}.")
        return value
