"""The API's email endpoints (send an estimate, ask for and confirm a password reset) and the two
pages customers open from their email: the estimate's approval page and the password-reset page.
The pages are plain Django views and templates: readable on a phone, no JavaScript, CSRF-protected
forms, no sign-in (the token in the link is the customer's authority)."""

from django import forms
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts.callers import actor_name
from core.errors import InvalidInput
from core.ratelimits import RateLimit, ScopedRateThrottle, by_address
from core.schema import errors
from core.text import normalize_email
from core.viewsets import MethodNotAllowedFirstMixin
from documents.selectors import ticket_document
from idempotency.views import idempotent
from notifications import messages, serializers, services, tokens
from notifications.models import EstimateLink

ACCEPTED = {"status": "accepted"}


def by_email_asked(request) -> str | None:
    """The address a reset is asked for, counted however it is spelled (as sign-in counts it)."""
    email = request.data.get("email") if isinstance(request.data, dict) else None
    return f"email:{normalize_email(email)}" if isinstance(email, str) and email else None


@extend_schema(tags=["tickets"])
class SendEstimateViewSet(MethodNotAllowedFirstMixin, viewsets.ViewSet):
    """POST /tickets/<id>/send-estimate (staff)."""

    @extend_schema(
        summary="Email the customer the ticket's estimate with an approval link (staff)",
        description=(
            "The ticket must be an `estimate`, or have `needs_approval` true (a total raised since the approval); "
            "else `409`. The email, with a link to `GET /estimates/<token>` for the ticket's current total, goes "
            "out from the background workers: `202`."
        ),
        request=None,
        responses={202: serializers.AcceptedSerializer, **errors(401, 403, 404, 409, 503)},
    )
    @idempotent
    def create(self, request, pk: str):
        services.send_estimate(ticket_id=int(pk), by=actor_name(request.user))
        return Response(ACCEPTED, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["customers"])
class PasswordResetViewSet(MethodNotAllowedFirstMixin, viewsets.ViewSet):
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scopes = {
        "create": [RateLimit("password_reset", key=by_address), RateLimit("password_reset_email", key=by_email_asked)]
    }

    @extend_schema(
        summary="Ask for a password-reset email",
        description=(
            "`202` whatever the email (known, unknown, malformed), in about the same time: a customer with that "
            "address gets an email from the background workers with a link to `/password-reset?token=<token>`."
        ),
        auth=[],
        request=serializers.PasswordResetRequestSerializer,
        responses={202: serializers.AcceptedSerializer, **errors(400, 411, 413, 415, 429, 503)},
    )
    @idempotent
    def create(self, request):
        body = serializers.PasswordResetRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.request_password_reset(email=body.validated_data["email"])
        return Response(ACCEPTED, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Set a new password with a reset token",
        description=(
            "A bad, used or expired token (`PASSWORD_RESET_TIMEOUT`) is `400` on `token`; a password Django's "
            "validators refuse is `400` on `new_password`. The new password ends every token issued before it."
        ),
        auth=[],
        request=serializers.PasswordResetConfirmSerializer,
        responses={204: None, **errors(400, 411, 413, 415, 503)},
    )
    @idempotent
    def confirm(self, request):
        body = serializers.PasswordResetConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.reset_password(token=body.validated_data["token"], new_password=body.validated_data["new_password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- the pages ----------------------------------------------------------------------------------


def _gone(request, message: str):
    return render(request, "notifications/pages/gone.html", {"shop": messages.shop(), "message": message}, status=410)


@method_decorator([never_cache, csrf_protect], name="dispatch")
class EstimatePageView(View):
    """GET /estimates/<token>: the estimate and Approve and Decline; POST decides (once)."""

    http_method_names = ["get", "post", "head"]

    def get(self, request, token: str):
        try:
            link, ticket = services.estimate_link(token=token)
        except tokens.LinkUnusable as exc:
            return _gone(request, exc.message)
        document = ticket_document(ticket=ticket, with_payments=False)
        context = {"shop": messages.shop(), "link": link, **messages.document_context(document)}
        return render(request, "notifications/pages/estimate.html", context)

    def post(self, request, token: str):
        decision = request.POST.get("decision")
        if decision not in ("approve", "decline"):
            context = {"shop": messages.shop(), "message": "Choose Approve or Decline."}
            return render(request, "notifications/pages/gone.html", context, status=400)
        try:
            link = services.decide_estimate(token=token, approve=decision == "approve")
        except tokens.LinkUnusable as exc:
            return _gone(request, exc.message)
        context = {"shop": messages.shop(), "link": link, "approved": link.decision == EstimateLink.Decision.APPROVED}
        return render(request, "notifications/pages/decided.html", context)


class NewPasswordForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=200)
    new_password = forms.CharField(
        label="New password",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label="New password again",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("new_password")
            and data.get("new_password_again")
            and data["new_password"] != data["new_password_again"]
        ):
            self.add_error("new_password_again", "The two passwords differ.")
        return data


@method_decorator([never_cache, csrf_protect], name="dispatch")
class PasswordResetPageView(View):
    """GET /password-reset?token=…: a new-password form; POST sets it."""

    http_method_names = ["get", "post", "head"]

    def _page(self, request, form, status: int = 200):
        return render(
            request, "notifications/pages/password_reset.html", {"shop": messages.shop(), "form": form}, status=status
        )

    def get(self, request):
        token = request.GET.get("token", "")
        if services.reset_customer(token=token) is None:
            return _gone(request, services.BAD_RESET_TOKEN)
        return self._page(request, NewPasswordForm(initial={"token": token}))

    def post(self, request):
        form = NewPasswordForm(request.POST)
        if not form.is_valid():
            return self._page(request, form, status=400)
        try:
            services.reset_password(token=form.cleaned_data["token"], new_password=form.cleaned_data["new_password"])
        except InvalidInput as exc:
            if "token" in exc.fields:
                return _gone(request, services.BAD_RESET_TOKEN)
            for message in exc.fields.get("new_password", []):
                form.add_error("new_password", message)
            return self._page(request, form, status=400)
        return render(request, "notifications/pages/password_changed.html", {"shop": messages.shop()})
