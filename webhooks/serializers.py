from rest_framework import serializers

from core.text import NormalizedCharField
from events.models import EventType
from webhooks.addresses import MAX_URL_LENGTH
from webhooks.models import Delivery


class SubscriptionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    url = serializers.CharField(
        max_length=MAX_URL_LENGTH,
        trim_whitespace=False,
        help_text="https:// (http:// only where allowed); its host must resolve to public addresses.",
    )
    events = serializers.ListField(
        child=serializers.CharField(max_length=64),
        max_length=len(EventType.values) + 1,
        help_text=f'Event types ({", ".join(EventType.values)}), or ["*"] for all of them.',
    )
    description = NormalizedCharField(max_length=255, required=False, allow_blank=True, default="")
    active = serializers.BooleanField(required=False, help_text="Set false to stop deliveries, true to resume.")
    created_at = serializers.DateTimeField(read_only=True)


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="whsec_ and base64: the key that signs deliveries. Shown only here, once."
    )


class DeliverySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    event_id = serializers.UUIDField(read_only=True)
    event_type = serializers.ChoiceField(source="event.type", choices=EventType.choices, read_only=True)
    attempt = serializers.IntegerField(help_text="Attempts made so far.", read_only=True)
    status_code = serializers.IntegerField(
        allow_null=True, help_text="The receiver's answer to the last attempt.", read_only=True
    )
    error = serializers.CharField(help_text="Why the last attempt failed; empty when it did not.", read_only=True)
    at = serializers.DateTimeField(allow_null=True, help_text="When the last attempt ended.", read_only=True)
    next_attempt_at = serializers.DateTimeField(allow_null=True, read_only=True)
    state = serializers.ChoiceField(choices=Delivery.State.choices, read_only=True)
