from rest_framework import serializers

from customers import selectors
from customers.models import Customer
from customers.services import DUPLICATE_EMAIL


class CustomerSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(max_length=255)
    password = serializers.CharField(
        write_only=True, required=False, max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )

    class Meta:
        model = Customer
        fields = ["id", "name", "email", "phone", "password"]

    def validate_email(self, value: str) -> str:
        value = value.strip().lower()
        if selectors.email_taken(value, exclude_id=self.instance.pk if self.instance else None):
            raise serializers.ValidationError(DUPLICATE_EMAIL)
        return value

    def get_fields(self):
        fields = super().get_fields()
        # Sign-up needs a password, an update may leave it out; as a field rule (not in
        # validate()) a missing password is reported together with the other field errors.
        fields["password"].required = self.instance is None
        return fields


class CustomerLoginSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=255)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
