"""The ticket's change page in the admin as a service writer's daily tool: a panel above the
ticket's form with its status and the moves the workflow allows from it, its money (totals, the
approved total, paid, balance), the customer's approval of a new total, payments and refunds, and
links to its documents.

The panel's forms post to the ticket admin's own views (get_urls), which write through the same
services as the API (tickets.workflow, tickets.services) and answer with a message and a redirect
back to the page: a refusal (a locked ticket, a refused move, an overpayment, a total waiting for
approval) is the service's own sentence as an error message, never a 500.
"""

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from accounts.callers import actor_name
from core.errors import ServiceError
from tickets import money, selectors, services, workflow
from tickets.models import Payment, Status, Ticket

# What each move is called on its button.
MOVE_LABELS = {
    (Status.ESTIMATE, Status.APPROVED): "Approve the estimate",
    (Status.APPROVED, Status.ESTIMATE): "Back to estimate",
    (Status.APPROVED, Status.IN_PROGRESS): "Start work",
    (Status.IN_PROGRESS, Status.COMPLETED): "Complete the work",
    (Status.COMPLETED, Status.IN_PROGRESS): "Reopen the work",
    (Status.COMPLETED, Status.INVOICED): "Invoice",
    (Status.INVOICED, Status.CLOSED): "Close",
}


def move_label(current: str, to: str) -> str:
    return MOVE_LABELS.get((current, to), "Cancel the ticket" if to == Status.CANCELLED else f"Move to {to}")


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Status.choices)
    note = forms.CharField(max_length=1000, required=False, label="Note")


class ApprovalForm(forms.Form):
    # Not required here: tickets.workflow.approve_supplemental refuses a staff approval without a
    # note, in the words the API uses.
    note = forms.CharField(
        required=False,
        max_length=workflow.APPROVAL_NOTE_LIMIT,
        help_text="How the customer approved the new total (by phone, in person...): kept in the ticket's history.",
    )


class PaymentForm(forms.Form):
    """A payment, or a refund (the Refund button): the amount is given as a positive number."""

    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    method = forms.ChoiceField(choices=Payment.Method.choices, initial=Payment.Method.CARD)
    reference = forms.CharField(max_length=255, required=False, help_text="Card authorisation, check number...")


@dataclass(frozen=True)
class Move:
    to: str
    label: str


def _form_errors(form: forms.Form) -> str:
    """A panel form's errors as one sentence for a message: "Amount: Enter a number."."""
    parts = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = (field.label or name.replace("_", " ").capitalize()) if field else ""
        parts.append(f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return " ".join(parts)


def _refusal(error: ServiceError) -> str:
    """The service's sentence, with its field messages when it has them (an overpayment)."""
    fields = getattr(error, "fields", None) or {}
    details = [message for messages_ in fields.values() for message in messages_]
    return " ".join([error.message, *details]) if details and error.message == "Invalid input." else error.message


class PartsAutocompleteView(AutocompleteJsonView):
    """The parts inline's item search: each item with its price and what is on hand, so the
    service writer sees the stock while choosing."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        on_hand = "not counted" if obj.quantity_on_hand is None else f"{obj.quantity_on_hand} on hand"
        return {**result, "text": f"{obj.name} — {obj.price} — {on_hand}"}


class TicketPageMixin:
    """For the ticket's ModelAdmin: the panel's context on the change page and the views its
    forms post to."""

    change_form_template = "admin/tickets/ticket/change_form.html"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:ticket_id>/move/", wrap(self.move_view), name="tickets_ticket_move"),
            path("<int:ticket_id>/approve/", wrap(self.approve_view), name="tickets_ticket_approve"),
            path("<int:ticket_id>/payment/", wrap(self.payment_view), name="tickets_ticket_payment"),
            path("parts-autocomplete/", wrap(self.parts_autocomplete_view), name="tickets_ticket_parts_autocomplete"),
            *super().get_urls(),
        ]

    def document_links(self, request, ticket: Ticket, has_invoice: bool) -> list[tuple[str, str]]:
        """(label, URL) of the ticket's printable documents: none here; the documents app, which
        renders them, adds its own (documents/admin.py)."""
        return []

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if object_id and object_id.isdigit():
            extra_context.update(self.panel_context(request, int(object_id)))
        return super().change_view(request, object_id, form_url, extra_context)

    def panel_context(self, request, ticket_id: int) -> dict:
        """What the panel shows: the ticket as the API reads it (tickets.selectors), its totals
        as the API computes them, and the forms of what may be done to it now."""
        ticket = selectors.ticket_detail(ticket_id=ticket_id)
        if ticket is None:
            return {}
        totals = money.ticket_totals(ticket)
        status = ticket.status
        may_work = self.has_change_permission(request)
        return {
            "panel": {
                "status": status,
                "status_label": Status(status).label,
                "locked": services.TicketFrozen(ticket).message if ticket.is_frozen else "",
                "moves": [Move(to, move_label(status, to)) for to in workflow.TRANSITIONS[status]] if may_work else [],
                "totals": totals,
                "approved_total": ticket.approved_total,
                "needs_approval": money.needs_approval(
                    status=status, approved_total=ticket.approved_total, total=totals.total
                ),
                "invoice_number": getattr(money.invoice_of(ticket), "pk", None),
                "takes_payments": may_work and status == Status.INVOICED,
                "transition_form": TransitionForm(auto_id="id_move_%s"),
                "approval_form": ApprovalForm(auto_id="id_approval_%s"),
                "payment_form": PaymentForm(auto_id="id_payment_%s"),
                "documents": self.document_links(request, ticket, has_invoice=money.invoice_of(ticket) is not None),
            }
        }

    # --- the panel's views: each writes through a service and comes back to the page ----------

    def _back(self, ticket_id: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:tickets_ticket_change", args=[ticket_id]))

    def _posted(self, request, ticket_id: int, form_class):
        """The panel's form bound to the POST, once the user may work on tickets and the ticket exists."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        get_object_or_404(Ticket.objects.only("pk"), pk=ticket_id)
        return form_class(request.POST)

    def _run(self, request, ticket_id: int, write, success: str) -> HttpResponseRedirect:
        try:
            result = write()
        except ServiceError as error:
            self.message_user(request, _refusal(error), messages.ERROR)
        else:
            self.message_user(request, success.format(result=result), messages.SUCCESS)
        return self._back(ticket_id)

    def move_view(self, request, ticket_id: int):
        return require_POST(self._move)(request, ticket_id)

    def _move(self, request, ticket_id: int):
        form = self._posted(request, ticket_id, TransitionForm)
        if not form.is_valid():
            self.message_user(request, f"Not moved: {_form_errors(form)}", messages.ERROR)
            return self._back(ticket_id)
        to, note = form.cleaned_data["to"], form.cleaned_data["note"].strip()
        return self._run(
            request,
            ticket_id,
            lambda: workflow.transition(ticket_id=ticket_id, to=to, by=actor_name(request.user), note=note),
            f"Ticket {ticket_id} is now {Status(to).label.lower()}.",
        )

    def approve_view(self, request, ticket_id: int):
        return require_POST(self._approve)(request, ticket_id)

    def _approve(self, request, ticket_id: int):
        form = self._posted(request, ticket_id, ApprovalForm)
        if not form.is_valid():
            self.message_user(request, f"Approval not recorded: {_form_errors(form)}", messages.ERROR)
            return self._back(ticket_id)
        return self._run(
            request,
            ticket_id,
            lambda: workflow.approve_supplemental(
                ticket_id=ticket_id, by=actor_name(request.user), note=form.cleaned_data["note"]
            ),
            "The customer's approval of {result.approved_total} is recorded.",
        )

    def payment_view(self, request, ticket_id: int):
        return require_POST(self._payment)(request, ticket_id)

    def _payment(self, request, ticket_id: int):
        form = self._posted(request, ticket_id, PaymentForm)
        refund = "refund" in request.POST
        if not form.is_valid():
            what = "Refund" if refund else "Payment"
            self.message_user(request, f"{what} not taken: {_form_errors(form)}", messages.ERROR)
            return self._back(ticket_id)
        amount = money.cents(form.cleaned_data["amount"])
        return self._run(
            request,
            ticket_id,
            lambda: services.add_payment(
                ticket_id=ticket_id,
                amount=-amount if refund else amount,
                method=form.cleaned_data["method"],
                reference=form.cleaned_data["reference"],
                by=actor_name(request.user),
            ),
            f"Refunded {amount} by {{result.method}}."
            if refund
            else f"Payment of {amount} by {{result.method}} taken.",
        )

    def parts_autocomplete_view(self, request):
        return PartsAutocompleteView.as_view(admin_site=self.admin_site)(request)
