from rest_framework import serializers

from core.serializers import ModelSerializer, StrictDecimalField, StrictIntegerField
from core.text import NormalizedCharField, NormalizedEmailField
from mechanics import selectors
from mechanics.models import Mechanic
from mechanics.services import DUPLICATE_EMAIL


class MechanicSerializer(ModelSerializer):
    name = NormalizedCharField(max_length=255)
    email = NormalizedEmailField(max_length=255)
    phone = NormalizedCharField(max_length=32)
    salary = StrictDecimalField(max_digits=12, decimal_places=2, min_value=0)

    class Meta:
        model = Mechanic
        fields = ["id", "name", "email", "phone", "salary"]

    def validate_email(self, value: str) -> str:
        if selectors.email_taken(email=value, exclude_id=self.instance.pk if self.instance else None):
            raise serializers.ValidationError(DUPLICATE_EMAIL)
        return value

    def validate_salary(self, value):
        # min_value=0 has refused every negative but -0, which abs() turns into a plain 0.
        return abs(value)


class TopMechanicSerializer(serializers.Serializer):
    id = StrictIntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    ticket_count = StrictIntegerField()
