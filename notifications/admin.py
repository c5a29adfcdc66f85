"""The emails owed and sent, and the estimate links, read-only; and the "Send estimate" button on
the ticket's page. The button is added by registering the ticket's admin again with an extra
URL and a template that extends whichever change form the ticket's admin renders, so the
ticket's own admin (tickets/admin.py) knows nothing of emails."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.loader import select_template
from django.urls import path, reverse

from accounts.callers import actor_name
from core.admin_services import NoSecretLookups, ViewOnly
from core.errors import ServiceError
from notifications import selectors, services
from notifications.models import Email, EstimateLink
from tickets.models import Status, Ticket


@admin.register(Email)
class EmailAdmin(ViewOnly, NoSecretLookups, admin.ModelAdmin):
    list_display = ["id", "kind", "to", "ticket", "state", "attempts", "created_at", "sent_at", "error"]
    list_filter = ["state", "kind"]
    search_fields = ["to"]
    ordering = ["-id"]
    exclude = ["lease"]


@admin.register(EstimateLink)
class EstimateLinkAdmin(ViewOnly, NoSecretLookups, admin.ModelAdmin):
    list_display = ["id", "ticket", "purpose", "total", "sent_at", "sent_by", "used_at", "decision"]
    list_filter = ["purpose", "decision"]
    ordering = ["-id"]


# The ticket's admin as the apps below registered it (tickets, then documents with its PDF links).
RegisteredTicketAdmin = type(admin.site.get_model_admin(Ticket))


class TicketWithSendEstimateAdmin(RegisteredTicketAdmin):
    change_form_template = "admin/notifications/ticket_change_form.html"

    def _base_change_form(self):
        """The change form the ticket's own admin renders, which the button's template extends."""
        own = RegisteredTicketAdmin.change_form_template
        opts = self.opts
        return select_template(
            [own]
            if own
            else [
                f"admin/{opts.app_label}/{opts.model_name}/change_form.html",
                f"admin/{opts.app_label}/change_form.html",
                "admin/change_form.html",
            ]
        )

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_send_estimate"
        view = self.admin_site.admin_view(self.send_estimate_view)
        return [path("<path:object_id>/send-estimate/", view, name=name), *super().get_urls()]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["send_estimate_base"] = self._base_change_form()
        if (
            obj is not None
            and obj.pk
            and self.has_change_permission(request, obj)
            and self._awaits_approval(context, obj)
        ):
            context["send_estimate_url"] = reverse("admin:tickets_ticket_send_estimate", args=[obj.pk])
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def _awaits_approval(self, context, ticket) -> bool:
        """From the page's panel (tickets' admin reads the ticket for it), else read here."""
        panel = context.get("panel")
        if panel:
            return panel["status"] == Status.ESTIMATE or bool(panel["needs_approval"])
        return selectors.approval_awaited(ticket_id=ticket.pk) is not None

    def send_estimate_view(self, request, object_id):
        """POST: email the customer the estimate (notifications.services.send_estimate), then back
        to the ticket's page with what happened."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ticket = self.get_object(request, object_id)
        if ticket is None or not self.has_change_permission(request, ticket):
            raise PermissionDenied
        try:
            link = services.send_estimate(ticket_id=ticket.pk, by=actor_name(request.user))
        except ServiceError as exc:
            self.message_user(request, f"Estimate not sent: {exc.message}", messages.ERROR)
        else:
            self.message_user(
                request,
                f"Estimate for {link.total} on its way to {ticket.customer.email}, with an approval link.",
                messages.SUCCESS,
            )
        return redirect(reverse("admin:tickets_ticket_change", args=[ticket.pk]))


admin.site.unregister(Ticket)
admin.site.register(Ticket, TicketWithSendEstimateAdmin)
