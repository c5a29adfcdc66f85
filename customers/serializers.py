from rest_framework import serializers

from core.serializers import ModelSerializer
from core.text import NormalizedCharField, NormalizedEmailField
from customers import selectors
from customers.models import Customer
from customers.services import DUPLICATE_EMAIL


class CustomerSerializer(ModelSerializer):
    name = NormalizedCharField(max_length=255)
    email = NormalizedEmailField(max_length=255)
    phone = NormalizedCharField(max_length=32)
    password = serializers.CharField(
        write_only=True, required=False, max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )
    current_password = serializers.CharField(
        write_only=True,
        required=False,
        max_length=128,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Needed when customers change their own password or email.",
    )

    class Meta:
        model = Customer
        fields = ["id", "name", "email", "phone", "password", "current_password"]

    def validate_email(self, value: str) -> str:
        if self.instance is not None and isinstance(self.context["request"].user, Customer):
            # The owner's new email is checked after their current password, by the service
            # (save_unique): answering "taken" first would tell a mere token holder who has an account.
            return value
        if selectors.email_taken(email=value, exclude_id=self.instance.pk if self.instance else None):
            raise serializers.ValidationError(DUPLICATE_EMAIL)
        return value

    def get_fields(self):
        fields = super().get_fields()
        # Sign-up needs a password, an update may leave it out; as a field rule (not in
        # validate()) a missing password is reported together with the other field errors.
        fields["password"].required = self.instance is None
        return fields
