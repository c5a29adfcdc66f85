from django.conf import settings
from rest_framework import serializers


class StaffLoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


class RefreshSerializer(serializers.Serializer):
    refresh_token = serializers.CharField(max_length=4096)


class AccessTokenSerializer(serializers.Serializer):
    auth_token = serializers.CharField()
    token_type = serializers.CharField(default="Bearer")
    expires_in = serializers.IntegerField()


class LoginResponseSerializer(AccessTokenSerializer):
    status = serializers.CharField()
    message = serializers.CharField()
    refresh_token = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    missing_ids = serializers.ListField(child=serializers.IntegerField(), required=False)


def token_pair_body(refresh, message: str) -> dict:
    return {
        "status": "success",
        "message": message,
        "auth_token": str(refresh.access_token),
        "refresh_token": str(refresh),
        "token_type": "Bearer",
        "expires_in": settings.JWT_ACCESS_TOKEN_LIFETIME,
    }
