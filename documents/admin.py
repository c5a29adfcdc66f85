"""The ticket's admin page with links to its printed estimate and invoice, served to the staff's
signed-in browser (the API's /tickets/<id>/estimate.pdf takes a bearer token, which a browser
following a link does not send). The same documents, rendered by documents.pdf from
documents.selectors. tickets/admin.py registers the page without them, as tickets knows nothing
of documents."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse

from documents import pdf
from documents.selectors import ticket_document
from tickets import selectors
from tickets.admin import TicketAdmin
from tickets.models import Ticket

admin.site.unregister(Ticket)


@admin.register(Ticket)
class TicketWithDocumentsAdmin(TicketAdmin):
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:ticket_id>/estimate.pdf", wrap(self.estimate_view), name="tickets_ticket_estimate_pdf"),
            path("<int:ticket_id>/invoice.pdf", wrap(self.invoice_view), name="tickets_ticket_invoice_pdf"),
            *super().get_urls(),
        ]

    def document_links(self, request, ticket, has_invoice: bool) -> list[tuple[str, str]]:
        links = [("Estimate (PDF)", reverse("admin:tickets_ticket_estimate_pdf", args=[ticket.pk]))]
        if has_invoice:
            links.append(("Invoice (PDF)", reverse("admin:tickets_ticket_invoice_pdf", args=[ticket.pk])))
        return links

    def _document(self, request, ticket_id: int, *, with_payments: bool):
        if not self.has_view_permission(request):
            raise PermissionDenied
        ticket = selectors.ticket_detail(ticket_id=ticket_id)
        if ticket is None:
            raise Http404(f"No ticket {ticket_id}.")
        return ticket_document(ticket=ticket, with_payments=with_payments)

    def estimate_view(self, request, ticket_id: int):
        document = self._document(request, ticket_id, with_payments=False)
        return pdf.pdf_response(pdf.estimate_pdf(document), f"estimate-{ticket_id}.pdf")

    def invoice_view(self, request, ticket_id: int):
        document = self._document(request, ticket_id, with_payments=True)
        if document.invoice is None:
            status = document.ticket.status
            self.message_user(request, f"Ticket {ticket_id} has no invoice: it is {status}.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:tickets_ticket_change", args=[ticket_id]))
        return pdf.pdf_response(pdf.invoice_pdf(document), f"invoice-{document.invoice.pk}.pdf")
