from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.callers import actor_name, calling_customer_id, owner_for_caller, unknown_record_error
from audit.serializers import ChangeSerializer
from core.caching import cache_read
from core.conditional import ConditionalMixin, if_match
from core.filters import LIST_FILTERS, BoundedSearchFilter
from core.pagination import HeaderPagination
from core.ratelimits import RateLimit, ScopedRateThrottle, caller_unless_staff
from core.schema import CREATE, LIST, RETRIEVE, UPDATE, errors
from core.viewsets import ListActionMixin, MethodNotAllowedFirstMixin
from idempotency.views import IdempotentMixin, idempotent
from tickets import selectors, services, workflow
from tickets.filters import TicketFilterSet
from tickets.models import Ticket
from tickets.permissions import TicketAccess
from tickets.serializers import (
    AddPartsResultSerializer,
    AddPartsSerializer,
    ApprovalSerializer,
    MechanicAssignmentSerializer,
    PaymentSerializer,
    StatusChangeSerializer,
    TicketLineSerializer,
    TicketSerializer,
    TransitionSerializer,
    UpdateMechanicsSerializer,
)
from tickets.versions import TICKET_DETAILS, TICKET_LISTS, ticket_version
from vehicles.views import VehicleLookupMixin

TICKET_LIST_CACHE_SECONDS = 10
TICKET_DETAIL_CACHE_SECONDS = 60
MECHANIC_ID = OpenApiParameter("mechanic_id", int, OpenApiParameter.PATH, description="Id of the mechanic.")
LINE_ID = OpenApiParameter("line_id", int, OpenApiParameter.PATH, description="Id of the labor or fee line.")
INVENTORY_ID = OpenApiParameter("inventory_id", int, OpenApiParameter.PATH, description="Id of the inventory item.")
BODY = (400, 411, 413, 415)
TICKET_EXAMPLE = OpenApiExample(
    "New ticket",
    value={
        "VIN": "1HGCM82633A004352",
        "service_date": "2026-11-25",
        "service_description": "Oil change",
        "customer_id": 1,
    },
    request_only=True,
)


CUSTOMER_EDITS = (
    "Staff change a ticket until it is invoiced, closed or cancelled (then `409`). A customer changes their own "
    "ticket only while it is an `estimate` (else `409`), and never records mileage: `mileage_in` or `mileage_out` "
    "with a value from a customer is `400`."
)


class TicketPagination(HeaderPagination):
    """`GET /tickets` takes its X-Total-Count from the per-status counts the database keeps
    (TicketStatusCount) when that is the exact answer: the list is every ticket (the list action's
    queryset), narrowed by `status` at most, with no search; `ordering` changes no total.
    Everything else counts its rows: other filters, a search, and the other lists of this
    ViewSet (my-tickets, history, payments)."""

    def get_count(self, queryset) -> int:
        if self.view.action == "list" and not BoundedSearchFilter().get_search_terms(self.request):
            filterset = TicketFilterSet(self.request.query_params, queryset=queryset, request=self.request)
            if filterset.is_valid() and filterset.only_status_given():
                return selectors.ticket_count(status=filterset.form.cleaned_data["status"] or None)
        return super().get_count(queryset)


@extend_schema_view(
    list=extend_schema(
        summary="List tickets (staff)", responses={200: TicketSerializer(many=True), **errors(*LIST, 429)}
    ),
    retrieve=extend_schema(
        summary="One ticket (staff, or its customer)", responses={200: TicketSerializer, **errors(*RETRIEVE)}
    ),
    create=extend_schema(
        summary="Open a ticket (a customer opens their own)",
        description="Mileage is recorded by staff: `mileage_in` or `mileage_out` with a value from a customer: `400`.",
        examples=[TICKET_EXAMPLE],
        responses={201: TicketSerializer, **errors(*CREATE, 404, 429)},
    ),
    update=extend_schema(
        summary="Replace a ticket",
        description=CUSTOMER_EDITS,
        examples=[TICKET_EXAMPLE],
        responses={200: TicketSerializer, **errors(*UPDATE)},
    ),
    partial_update=extend_schema(
        summary="Change some fields of a ticket",
        description=CUSTOMER_EDITS,
        responses={200: TicketSerializer, **errors(*UPDATE)},
    ),
)
@method_decorator(cache_read(TICKET_LISTS, seconds=TICKET_LIST_CACHE_SECONDS), name="list")
# One entry per ticket for staff and its customer alike, under the ticket's own version; a hit
# checks the stored owner with TicketAccess before it answers.
@method_decorator(
    cache_read(
        TICKET_DETAILS,
        lambda view: ticket_version(view.kwargs["pk"]),
        seconds=TICKET_DETAIL_CACHE_SECONDS,
        permission_fields=("customer_id",),
    ),
    name="retrieve",
)
# A customer's own list: one entry per customer (not per token).
@method_decorator(cache_read(TICKET_LISTS, seconds=TICKET_LIST_CACHE_SECONDS, per_caller=True), name="my_tickets")
@extend_schema(tags=["tickets"])
class TicketViewSet(
    MethodNotAllowedFirstMixin,
    ListActionMixin,
    IdempotentMixin,
    ConditionalMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = TicketSerializer
    etag_resource = "tickets"
    permission_classes = [TicketAccess]
    pagination_class = TicketPagination
    throttle_classes = [ScopedRateThrottle]
    throttle_scopes = {
        "list": "tickets_list",
        "remove_mechanic": "tickets_remove_mechanic",
        # One budget with POST /vehicles: what a customer may create in an hour. Staff are not counted.
        "create": RateLimit("customer_writes", key=caller_unless_staff),
    }
    lookup_value_regex = r"[0-9]{1,19}"
    filter_backends = LIST_FILTERS
    filterset_class = TicketFilterSet
    search_fields = ["vin", "service_description"]
    ordering_fields = ["id", "service_date", "status"]
    # Service history is kept: tickets are not deleted. There is no `destroy` action at all (DELETE
    # serves only line and part removal): with one, DRF would name the action of a DELETE on a
    # ticket and check its permissions first, and a customer would get 403 instead of the 405
    # every caller gets.
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.ticket_list()

    def get_object(self):
        """The ticket of the path as tickets.selectors.ticket_detail() reads it (as the list reads
        tickets), checked against the caller's permissions."""
        ticket = selectors.ticket_detail(ticket_id=self.kwargs["pk"])
        if ticket is None:
            raise unknown_record_error(self.request, "No ticket matches the given query.")
        self.check_object_permissions(self.request, ticket)
        return ticket

    def _permitted_ticket_id(self) -> int:
        """The path's ticket id, once the caller may act on that ticket (one small query)."""
        ticket = Ticket.objects.only("id", "customer_id").filter(pk=self.kwargs["pk"]).first()
        if ticket is None:
            raise unknown_record_error(self.request, "No ticket matches the given query.")
        self.check_object_permissions(self.request, ticket)
        return ticket.pk

    def perform_create(self, serializer):
        data = serializer.validated_data
        customer_id = owner_for_caller(self.request, requested=data.get("customer_id"), what="tickets")
        if customer_id is None:
            raise ValidationError({"customer_id": ["This field is required."]})
        ticket = services.ticket_create(
            customer_id=customer_id,
            vin=data.get("vin"),
            service_date=data["service_date"],
            service_description=data["service_description"],
            vehicle_id=data.get("vehicle_id"),
            mileage_in=data.get("mileage_in"),
            mileage_out=data.get("mileage_out"),
            by=actor_name(self.request.user),
            by_customer=calling_customer_id(self.request) is not None,
        )
        serializer.instance = selectors.ticket_detail(ticket_id=ticket.pk)

    def perform_update(self, serializer):
        changes = dict(serializer.validated_data)
        if "customer_id" in changes:
            changes["customer_id"] = owner_for_caller(
                self.request, requested=changes["customer_id"], current=serializer.instance.customer_id, what="tickets"
            )
        services.ticket_update(
            ticket_id=serializer.instance.pk,
            changes=changes,
            customer_id=calling_customer_id(self.request),
            by=actor_name(self.request.user),
        )
        serializer.instance = selectors.ticket_detail(ticket_id=serializer.instance.pk)

    @extend_schema(
        summary="The signed-in customer's tickets", responses={200: TicketSerializer(many=True), **errors(*LIST)}
    )
    @action(detail=False, methods=["get"], url_path="my-tickets")
    def my_tickets(self, request):
        return self.list_response(self.filter_queryset(selectors.tickets_of_customer(customer_id=request.user.pk)))

    @extend_schema(
        summary="Put a mechanic on a ticket",
        request=None,
        parameters=[MECHANIC_ID],
        responses={200: MechanicAssignmentSerializer, **errors(401, 403, 404, 409, 503)},
    )
    @action(detail=True, methods=["put"], url_path=r"assign-mechanic/(?P<mechanic_id>[0-9]{1,19})")
    @if_match
    def assign_mechanic(self, request, pk: str, mechanic_id: str):
        ticket_id, mechanic_id = int(pk), int(mechanic_id)
        created = services.assign_mechanic(ticket_id=ticket_id, mechanic_id=mechanic_id, by=actor_name(request.user))
        message = (
            f"Mechanic {mechanic_id} assigned to ticket {ticket_id}."
            if created
            else f"Mechanic {mechanic_id} is already assigned to ticket {ticket_id}."
        )
        return Response({"message": message, "ticket_id": ticket_id, "mechanic_id": mechanic_id})

    @extend_schema(
        summary="Take a mechanic off a ticket",
        request=None,
        parameters=[MECHANIC_ID],
        responses={200: MechanicAssignmentSerializer, **errors(401, 403, 404, 409, 429, 503)},
    )
    @action(detail=True, methods=["put"], url_path=r"remove-mechanic/(?P<mechanic_id>[0-9]{1,19})")
    @if_match
    def remove_mechanic(self, request, pk: str, mechanic_id: str):
        ticket_id, mechanic_id = int(pk), int(mechanic_id)
        services.remove_mechanic(ticket_id=ticket_id, mechanic_id=mechanic_id, by=actor_name(request.user))
        message = f"Mechanic {mechanic_id} removed from ticket {ticket_id}."
        return Response({"message": message, "ticket_id": ticket_id, "mechanic_id": mechanic_id})

    @extend_schema(
        summary="Add and remove several mechanics in one change",
        request=UpdateMechanicsSerializer,
        responses={200: TicketSerializer, **errors(*UPDATE)},
    )
    @action(detail=True, methods=["put"], url_path="update-mechanics")
    @if_match
    def update_mechanics(self, request, pk: str):
        body = UpdateMechanicsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.update_mechanics(
            ticket_id=int(pk),
            add_ids=body.validated_data["add_mechanic_ids"],
            remove_ids=body.validated_data["remove_mechanic_ids"],
            by=actor_name(request.user),
        )
        return Response(self.get_serializer(selectors.ticket_detail(ticket_id=int(pk))).data)

    @extend_schema(
        summary="Add parts lines to a ticket",
        request=AddPartsSerializer,
        examples=[
            OpenApiExample(
                "Two parts",
                value={"add_inventory_items": [{"inventory_id": 1, "quantity": 4}, {"inventory_id": 2, "quantity": 1}]},
                request_only=True,
            )
        ],
        responses={200: AddPartsResultSerializer, **errors(*UPDATE)},
    )
    @action(detail=True, methods=["post"], url_path="inventory")
    @idempotent
    def add_inventory(self, request, pk: str):
        body = AddPartsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.add_parts(ticket_id=int(pk), quantities=body.quantities, by=actor_name(request.user))
        return Response(AddPartsResultSerializer(result).data)

    @extend_schema(
        summary="Move a ticket to another status (a customer approves or declines their estimate)",
        request=TransitionSerializer,
        examples=[OpenApiExample("Approve", value={"to": "approved", "note": "Go ahead"}, request_only=True)],
        responses={200: TicketSerializer, **errors(*BODY, 401, 403, 404, 409, 503)},
    )
    @action(detail=True, methods=["post"], url_path="transition")
    @idempotent
    @if_match
    def transition(self, request, pk: str):
        ticket_id = self._permitted_ticket_id()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        workflow.transition(
            ticket_id=ticket_id,
            to=body.validated_data["to"],
            note=body.validated_data["note"],
            by=actor_name(request.user),
            customer_id=calling_customer_id(request),
        )
        return Response(self.get_serializer(selectors.ticket_detail(ticket_id=ticket_id)).data)

    @extend_schema(
        summary="Approve the ticket's new total (supplemental work)",
        description=(
            "The ticket's customer approves its current total, which work added since the last approval raised "
            "above `approved_total` (`needs_approval` is true). Staff record an approval the customer gave by phone "
            "or in person, with a `note` saying so (required for staff). Recorded in the ticket's history "
            "(`from` = `to` = its status). Nothing waiting for approval: `409`."
        ),
        request=ApprovalSerializer,
        examples=[OpenApiExample("By phone", value={"note": "Approved by phone with Ms Jones"}, request_only=True)],
        responses={200: TicketSerializer, **errors(*BODY, 401, 403, 404, 409, 503)},
    )
    @action(detail=True, methods=["post"], url_path="approve")
    @idempotent
    @if_match
    def approve(self, request, pk: str):
        ticket_id = self._permitted_ticket_id()
        body = ApprovalSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        workflow.approve_supplemental(
            ticket_id=ticket_id,
            by=actor_name(request.user),
            note=body.validated_data["note"],
            customer_id=calling_customer_id(request),
        )
        return Response(self.get_serializer(selectors.ticket_detail(ticket_id=ticket_id)).data)

    @extend_schema(
        summary="Every change made to a ticket after its creation, oldest first (staff)",
        description=(
            "The ticket's audit trail, from the API and the admin alike: `action` is one of `update`, "
            "`line_added`, `line_removed`, `part_added`, `part_removed`, `mechanic_added`, `mechanic_removed`, "
            "`payment`, `transition`, `approval`; `changes` maps each changed field to `[old, new]` for an "
            "`update` (a line's fields as `lines.<id>.<field>`), and describes the line, part, mechanic, payment, "
            "move or approval otherwise."
        ),
        responses={200: ChangeSerializer(many=True), **errors(*LIST, 404)},
    )
    @action(detail=True, methods=["get"], url_path="changes", filter_backends=[])
    def changes(self, request, pk: str):
        return self.list_response(selectors.ticket_changes(ticket_id=self._permitted_ticket_id()), ChangeSerializer)

    @extend_schema(
        summary="A ticket's changes of status, oldest first (the first is its creation)",
        responses={200: StatusChangeSerializer(many=True), **errors(*LIST, 404)},
    )
    @action(detail=True, methods=["get"], url_path="history", filter_backends=[])
    def history(self, request, pk: str):
        return self.list_response(
            selectors.ticket_history(ticket_id=self._permitted_ticket_id()), StatusChangeSerializer
        )

    @extend_schema(
        summary="Add a labor or fee line (staff)",
        description="`mechanic_id`, when given, must name an existing mechanic (else `404`).",
        request=TicketLineSerializer,
        examples=[
            OpenApiExample(
                "Labor",
                value={
                    "kind": "labor",
                    "description": "Brake job",
                    "quantity": 1.5,
                    "unit_price": 90,
                    "mechanic_id": 1,
                },
                request_only=True,
            )
        ],
        responses={201: TicketLineSerializer, **errors(*BODY, 401, 403, 404, 409, 503)},
    )
    @action(detail=True, methods=["post"], url_path="lines")
    @idempotent
    def lines(self, request, pk: str):
        body = TicketLineSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        line = services.add_line(ticket_id=int(pk), **body.validated_data, by=actor_name(request.user))
        return Response(TicketLineSerializer(line).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove a labor or fee line (staff)",
        parameters=[LINE_ID],
        responses={204: None, **errors(401, 403, 404, 409, 503)},
    )
    @action(detail=True, methods=["delete"], url_path=r"lines/(?P<line_id>[0-9]{1,19})")
    @if_match
    def delete_line(self, request, pk: str, line_id: str):
        services.delete_line(ticket_id=int(pk), line_id=int(line_id), by=actor_name(request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Remove a parts line, returning its parts to stock (staff)",
        parameters=[INVENTORY_ID],
        responses={204: None, **errors(401, 403, 404, 409, 503)},
    )
    @action(detail=True, methods=["delete"], url_path=r"inventory/(?P<inventory_id>[0-9]{1,19})")
    @if_match
    def remove_part(self, request, pk: str, inventory_id: str):
        services.remove_part(ticket_id=int(pk), inventory_id=int(inventory_id), by=actor_name(request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["GET"],
        summary="A ticket's payments and refunds, oldest first",
        responses={200: PaymentSerializer(many=True), **errors(*LIST, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Take a payment (amount > 0) or make a refund (amount < 0) on an invoiced ticket (staff)",
        description="At most the balance; a refund at most what was paid (else `400`). Not invoiced: `409`.",
        request=PaymentSerializer,
        examples=[
            OpenApiExample(
                "Card", value={"amount": 120.5, "method": "card", "reference": "auth 0042"}, request_only=True
            )
        ],
        responses={201: PaymentSerializer, **errors(*BODY, 401, 403, 404, 409, 503)},
    )
    @action(detail=True, methods=["get", "post"], url_path="payments", filter_backends=[])
    @idempotent
    def payments(self, request, pk: str):
        if request.method == "GET":
            return self.list_response(
                selectors.ticket_payments(ticket_id=self._permitted_ticket_id()), PaymentSerializer
            )
        body = PaymentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        payment = services.add_payment(ticket_id=int(pk), **body.validated_data, by=actor_name(request.user))
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


# `GET /vehicles/<id>/tickets`, a vehicle's service history. It lists tickets, so tickets serves
# it (routed from tickets/urls.py); the vehicle is found and checked as on every /vehicles/<id>
# route (vehicles.views.VehicleLookupMixin). No docstring: drf-spectacular would publish it.
@extend_schema(tags=["vehicles"])
class VehicleTicketsViewSet(MethodNotAllowedFirstMixin, VehicleLookupMixin, ListActionMixin, viewsets.GenericViewSet):
    serializer_class = TicketSerializer
    pagination_class = HeaderPagination

    @extend_schema(
        summary="The vehicle's service history, newest first",
        responses={200: TicketSerializer(many=True), **errors(*LIST, 404)},
    )
    @action(detail=True, methods=["get"], url_path="tickets", filter_backends=[])
    def tickets(self, request, pk: str):
        vehicle = self.get_object()
        return self.list_response(selectors.vehicle_history(vehicle_id=vehicle.pk))
