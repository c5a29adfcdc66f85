from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import BasePermission

from accounts.callers import unknown_record_error
from core.errors import Conflict
from core.schema import errors
from core.viewsets import MethodNotAllowedFirstMixin
from customers.models import Customer
from documents import pdf
from documents.selectors import TicketDocument, ticket_document
from tickets import selectors
from tickets.models import Ticket


class DocumentAccess(BasePermission):
    """Staff print any ticket's documents; a customer prints their own tickets' only."""

    def has_permission(self, request, view) -> bool:
        return request.user.is_staff or isinstance(request.user, Customer)

    def has_object_permission(self, request, view, ticket) -> bool:
        return request.user.is_staff or ticket.customer_id == request.user.pk


class PathNamesTheFormat(BaseContentNegotiation):
    """The path names the format (`.pdf`), so the Accept header is not consulted: a document is
    always application/pdf, and an error always the API's JSON, whatever the client accepts."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


PDF = OpenApiResponse(OpenApiTypes.BINARY, description="The document, application/pdf.")


@extend_schema(tags=["documents"])
class TicketDocumentViewSet(MethodNotAllowedFirstMixin, viewsets.GenericViewSet):
    """A ticket's printable documents, routed beside the ticket (`/tickets/<id>/estimate.pdf`)."""

    permission_classes = [DocumentAccess]
    content_negotiation_class = PathNamesTheFormat
    lookup_value_regex = r"[0-9]{1,19}"
    queryset = Ticket.objects.none()  # the schema's path parameter; documents read tickets.selectors

    def _document(self, *, with_payments: bool) -> TicketDocument:
        """The path's ticket as a document, once the caller may see it (a customer gets 403 for a
        ticket not theirs, existing or not, as for GET /tickets/<id>)."""
        ticket = selectors.ticket_detail(ticket_id=int(self.kwargs["pk"]))
        if ticket is None:
            raise unknown_record_error(self.request, "No ticket matches the given query.")
        self.check_object_permissions(self.request, ticket)
        return ticket_document(ticket=ticket, with_payments=with_payments)

    @extend_schema(
        operation_id="tickets_estimate_pdf",
        summary="A ticket's estimate as PDF (staff, or its customer)",
        description="Every part and line with its amount and the totals as `GET /tickets/<id>` shows them. "
        "Always `application/pdf` (errors are JSON), whatever the Accept header says.",
        responses={(200, "application/pdf"): PDF, **errors(401, 403, 404, 503)},
    )
    @action(detail=True, methods=["get"], url_path=r"estimate\.pdf", url_name="estimate-pdf")
    def estimate(self, request, pk: str):
        document = self._document(with_payments=False)
        return pdf.pdf_response(pdf.estimate_pdf(document), f"estimate-{document.ticket.pk}.pdf")

    @extend_schema(
        operation_id="tickets_invoice_pdf",
        summary="A ticket's invoice as PDF (staff, or its customer)",
        description="The invoice's frozen figures, its number, payments and balance. Always "
        "`application/pdf` (errors are JSON). Before the ticket is invoiced: `409` with its `status`.",
        responses={(200, "application/pdf"): PDF, **errors(401, 403, 404, 409, 503)},
    )
    @action(detail=True, methods=["get"], url_path=r"invoice\.pdf", url_name="invoice-pdf")
    def invoice(self, request, pk: str):
        document = self._document(with_payments=True)
        if document.invoice is None:
            status = document.ticket.status
            raise Conflict(f"Ticket {document.ticket.pk} has no invoice: it is {status}.", status=status)
        return pdf.pdf_response(pdf.invoice_pdf(document), f"invoice-{document.invoice.pk}.pdf")
