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
    at = serializers.DateTimeField()
    by = serializers.CharField()
    action = serializers.ChoiceField(choices=Action.choices)
    changes = ChangesField()
