from rest_framework import serializers


class AcceptedSerializer(serializers.Serializer):
    status = serializers.CharField(help_text='"accepted": the email goes out from the background workers.')


class PasswordResetRequestSerializer(serializers.Serializer):
    # Any JSON value: the answer is the same 202 whatever it is (a malformed address gets no email).
    email = serializers.JSONField(allow_null=True, help_text="The account's email address.")


class PasswordResetConfirmSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, help_text="The token of the reset link.")
    new_password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})
