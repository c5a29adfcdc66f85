from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.models import Action


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": True,
        "description": "For `update`, each changed field's `[old, new]`; otherwise what was added, removed, "
        "paid, moved or approved. Money and dates as strings, exact.",
    }
)
class ChangesField(serializers.JSONField):
    pass


class ChangeSerializer(serializers.Serializer):
    """An entry of an audit trail, as the API shows it (never read from a request)."""

    at = serializers.DateTimeField(read_only=True)
    by = serializers.CharField(read_only=True)
    action = serializers.ChoiceField(choices=Action.choices, read_only=True)
    changes = ChangesField(read_only=True)
