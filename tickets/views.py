from functools import partial

from django.http import Http404

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from core import caching
from core.authentication import as_customer
from core.openapi import CREATE, LIST, RETRIEVE, UPDATE, errors
from core.pagination import HeaderPagination
from core.permissions import path_id
from core.throttling import ScopedRateThrottle
from tickets import selectors, services
from tickets.models import Ticket
from tickets.permissions import TicketAccess
from tickets.serializers import (
    AddPartsResultSerializer,
    AddPartsSerializer,
    MechanicAssignmentSerializer,
    TicketSerializer,
    UpdateMechanicsSerializer,
    ticket_representation,
)

TICKET_LIST_CACHE_SECONDS = 10
MECHANIC_ID = OpenApiParameter("mechanic_id", int, OpenApiParameter.PATH, description="Id of the mechanic.")
TICKET_EXAMPLE = OpenApiExample(
    "New ticket",
    value={"VIN": "1HGCM82633A004352", "service_date": "2026-11-25", "service_description": "Oil change", "customer_id": 1},
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(summary="List tickets (staff)", responses={200: TicketSerializer(many=True), **errors(*LIST, 429)}),
    retrieve=extend_schema(summary="One ticket (staff, or its customer)", responses={200: TicketSerializer, **errors(*RETRIEVE)}),
    create=extend_schema(
        summary="Open a ticket (a customer opens their own)",
        examples=[TICKET_EXAMPLE],
        responses={201: TicketSerializer, **errors(*CREATE, 404)},
    ),
    update=extend_schema(summary="Replace a ticket", examples=[TICKET_EXAMPLE], responses={200: TicketSerializer, **errors(*UPDATE)}),
    partial_update=extend_schema(summary="Change some fields of a ticket", responses={200: TicketSerializer, **errors(*UPDATE)}),
)
@extend_schema(tags=["tickets"])
class TicketViewSet(viewsets.ModelViewSet):
    serializer_class = TicketSerializer
    permission_classes = [TicketAccess]
    pagination_class = HeaderPagination
    throttle_classes = [ScopedRateThrottle]
    throttle_scopes = {"list": "tickets_list", "remove_mechanic": "tickets_remove_mechanic"}
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.ticket_list()

    def list(self, request, *args, **kwargs):
        build = partial(super().list, request, *args, **kwargs)
        return caching.cached_response(request, caching.TICKETS, TICKET_LIST_CACHE_SECONDS, build)

    def _path_id(self, name: str) -> int:
        value = path_id(self, name)
        if value is None:  # digits, but more than any id has
            raise Http404("Not found.")
        return value

    def retrieve(self, request, *args, **kwargs):
        ticket_id = path_id(self)
        detail = selectors.ticket_detail(ticket_id) if ticket_id is not None else None
        if detail is None:
            raise Http404(f"No {Ticket._meta.object_name} matches the given query.")
        self.check_object_permissions(request, detail.ticket)
        return Response(ticket_representation(detail.ticket, detail.mechanics, detail.parts))

    def _customer_id_for_caller(self, requested: int | None, current: int | None = None) -> int | None:
        customer = as_customer(self.request.user)
        if customer is None:
            return requested
        if requested is not None and requested != customer.pk:
            raise PermissionDenied("Customers can only open and keep tickets under their own account.")
        return customer.pk if current is None else current

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        customer_id = self._customer_id_for_caller(data.pop("customer_id", None))
        if customer_id is None:
            raise ValidationError({"customer_id": ["This field is required."]})
        serializer.instance = services.ticket_create(customer_id=customer_id, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if "customer_id" in data:
            data["customer_id"] = self._customer_id_for_caller(data["customer_id"], serializer.instance.customer_id)
        services.ticket_update(serializer.instance, **data)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    @extend_schema(summary="The signed-in customer's tickets", responses={200: TicketSerializer(many=True), **errors(*LIST)})
    @action(detail=False, methods=["get"], url_path="my-tickets")
    def my_tickets(self, request):
        if self.paginator.is_requested(request):
            page = self.paginate_queryset(selectors.tickets_of_customer(request.user.pk))
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        details = selectors.ticket_details_of_customer(request.user.pk)
        return Response([ticket_representation(d.ticket, d.mechanics, d.parts) for d in details])

    @extend_schema(
        summary="Put a mechanic on a ticket",
        request=None,
        parameters=[MECHANIC_ID],
        responses={200: MechanicAssignmentSerializer, **errors(401, 403, 404, 409, 503)},
    )
    @action(detail=True, methods=["put"], url_path=r"assign-mechanic/(?P<mechanic_id>[0-9]+)")
    def assign_mechanic(self, request, pk: str, mechanic_id: str):
        ticket_id, mid = self._path_id("pk"), self._path_id("mechanic_id")
        created = services.assign_mechanic(ticket_id, mid)
        message = (
            f"Mechanic {mid} assigned to ticket {ticket_id}."
            if created
            else f"Mechanic {mid} is already assigned to ticket {ticket_id}."
        )
        return Response({"message": message, "ticket_id": ticket_id, "mechanic_id": mid})

    @extend_schema(
        summary="Take a mechanic off a ticket",
        request=None,
        parameters=[MECHANIC_ID],
        responses={200: MechanicAssignmentSerializer, **errors(401, 403, 404, 409, 429, 503)},
    )
    @action(detail=True, methods=["put"], url_path=r"remove-mechanic/(?P<mechanic_id>[0-9]+)")
    def remove_mechanic(self, request, pk: str, mechanic_id: str):
        ticket_id, mid = self._path_id("pk"), self._path_id("mechanic_id")
        services.remove_mechanic(ticket_id, mid)
        return Response(
            {"message": f"Mechanic {mid} removed from ticket {ticket_id}.", "ticket_id": ticket_id, "mechanic_id": mid}
        )

    @extend_schema(
        summary="Add and remove several mechanics in one change",
        request=UpdateMechanicsSerializer,
        responses={200: TicketSerializer, **errors(*UPDATE)},
    )
    @action(detail=True, methods=["put"], url_path="update-mechanics")
    def update_mechanics(self, request, pk: str):
        body = UpdateMechanicsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.update_mechanics(self._path_id("pk"), body.validated_data["add_mechanic_ids"], body.validated_data["remove_mechanic_ids"])
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)

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
    def add_inventory(self, request, pk: str):
        body = AddPartsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.add_parts(self._path_id("pk"), body.quantities)
        return Response(AddPartsResultSerializer(result).data, status=status.HTTP_200_OK)
