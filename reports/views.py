import calendar
from datetime import date

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.utils.mediatypes import media_type_matches, order_by_precedence

from core.renderers import JSONRenderer
from core.schema import errors
from core.viewsets import MethodNotAllowedFirstMixin
from reports import selectors
from reports.renderers import CSVRenderer
from reports.serializers import (
    MechanicRowSerializer,
    PaymentsRowSerializer,
    ReceivableRowSerializer,
    ReceivablesQuerySerializer,
    ReportQuerySerializer,
    SalesQuerySerializer,
    SalesRowSerializer,
)

ERRORS = {(code, "application/json"): response for code, response in errors(400, 401, 403, 503).items()}
CSV = OpenApiResponse(OpenApiTypes.STR, description="The same rows as CSV (`?format=csv`): one header row.")


def _rows(serializer_class) -> dict:
    return {(200, "application/json"): serializer_class(many=True), (200, "text/csv"): CSV, **ERRORS}


class ReportNegotiation(DefaultContentNegotiation):
    """`?format=json|csv` picks the representation, else the Accept header does; anything else gets
    JSON. Nothing is refused here, before authentication: a bad `format` is a 400 of the query's
    validation, after the caller's 401 or 403."""

    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        for renderer in renderers:
            if renderer.format == wanted:
                return renderer, renderer.media_type
        for media_types in order_by_precedence(self.get_accept_list(request)):
            for renderer in renderers:
                if any(media_type_matches(renderer.media_type, media_type) for media_type in media_types):
                    return renderer, renderer.media_type
        return renderers[0], renderers[0].media_type


def _month_of(day: date) -> tuple[date, date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


@extend_schema(tags=["reports"])
class ReportViewSet(MethodNotAllowedFirstMixin, viewsets.GenericViewSet):
    """The shop's reports (staff), JSON or CSV, over days of the shop's calendar (TIME_ZONE)."""

    permission_classes = [IsAdminUser]
    renderer_classes = [JSONRenderer, CSVRenderer]
    content_negotiation_class = ReportNegotiation

    def handle_exception(self, exc):
        # An error is the API's JSON error, whichever representation the report was asked in.
        self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().handle_exception(exc)

    def _query(self, serializer_class) -> dict:
        params = self.request.query_params
        if repeated := sorted(name for name in params if len(params.getlist(name)) > 1):
            raise ValidationError({name: [f"Give {name} at most once."] for name in repeated})
        query = serializer_class(data=params.dict())
        query.is_valid(raise_exception=True)
        return query.validated_data

    def _dates(self, serializer_class) -> tuple[dict, date, date]:
        """The query, and its days: `from` and `to`, each the current month's by default."""
        query = self._query(serializer_class)
        month_first, month_last = _month_of(selectors.shop_today())
        first, last = query.get("from", month_first), query.get("to", month_last)
        if first > last:
            raise ValidationError({"to" if "to" in query else "from": ["The range ends before it starts."]})
        return query, first, last

    def _answer(self, name: str, rows, serializer_class, first: date | None, last: date | None) -> Response:
        response = Response(serializer_class(rows, many=True).data)
        if self.request.accepted_renderer.format == CSVRenderer.format:
            period = "-".join(day.isoformat() for day in (first, last) if day is not None)
            response["Content-Disposition"] = f'attachment; filename="{name}{"-" if period else ""}{period}.csv"'
        return response

    @extend_schema(
        summary="Sales per day or month, by invoice date, with a total row (staff)",
        description='Periods with invoices, oldest first, then `period: "total"`. The figures are the invoices\' '
        "frozen ones; `tax` is the sum of their tax.",
        parameters=[SalesQuerySerializer],
        responses=_rows(SalesRowSerializer),
    )
    @action(detail=False, methods=["get"])
    def sales(self, request):
        query, first, last = self._dates(SalesQuerySerializer)
        rows = selectors.sales_report(first=first, last=last, group=query["group"])
        return self._answer("sales", rows, SalesRowSerializer, first, last)

    @extend_schema(
        summary="Payments per day and method, by payment date (staff)",
        description="Refunds are negative payments and reduce `amount`.",
        parameters=[ReportQuerySerializer],
        responses=_rows(PaymentsRowSerializer),
    )
    @action(detail=False, methods=["get"])
    def payments(self, request):
        _query, first, last = self._dates(ReportQuerySerializer)
        return self._answer(
            "payments", selectors.payments_report(first=first, last=last), PaymentsRowSerializer, first, last
        )

    @extend_schema(
        summary="Labor per mechanic on tickets invoiced in the range (staff)",
        parameters=[ReportQuerySerializer],
        responses=_rows(MechanicRowSerializer),
    )
    @action(detail=False, methods=["get"])
    def mechanics(self, request):
        _query, first, last = self._dates(ReportQuerySerializer)
        return self._answer(
            "mechanics", selectors.mechanics_report(first=first, last=last), MechanicRowSerializer, first, last
        )

    @extend_schema(
        summary="Invoiced tickets with a balance, oldest first, with their age (staff)",
        description="Every unpaid invoice unless `from`/`to` narrow the invoice dates; ages count from today.",
        parameters=[ReceivablesQuerySerializer],
        responses=_rows(ReceivableRowSerializer),
    )
    @action(detail=False, methods=["get"])
    def receivables(self, request):
        query = self._query(ReceivablesQuerySerializer)
        first, last = query.get("from"), query.get("to", selectors.shop_today())
        if first is not None and first > last:
            raise ValidationError({"from": ["The range ends before it starts."]})
        rows = selectors.receivables_report(first=first, last=last)
        return self._answer("receivables", rows, ReceivableRowSerializer, first, last)
