from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError

from accounts.callers import actor_name, calling_customer_id, owner_for_caller, unknown_record_error
from core.conditional import ConditionalDestroyMixin
from core.filters import LIST_FILTERS
from core.pagination import HeaderPagination
from core.ratelimits import RateLimit, ScopedRateThrottle, caller_unless_staff
from core.schema import CREATE, DESTROY, LIST, RETRIEVE, UPDATE, errors
from core.viewsets import MethodNotAllowedFirstMixin
from idempotency.views import IdempotentMixin
from vehicles import selectors, services
from vehicles.filters import VehicleFilterSet
from vehicles.permissions import VehicleAccess
from vehicles.serializers import VehicleSerializer

VEHICLE_EXAMPLE = OpenApiExample(
    "New vehicle",
    value={
        "customer_id": 1,
        "vin": "1HGCM82633A004352",
        "year": 2003,
        "make": "Honda",
        "model": "Accord",
        "license_plate": "7ABC123",
    },
    request_only=True,
)


class VehicleLookupMixin:
    """The vehicle of a /vehicles/<id> path, found and checked as every such route does: staff
    reach any vehicle, a customer only their own (another's, or one that does not exist: 403).
    For VehicleViewSet, and for the ViewSets of apps built on vehicles that serve a vehicle's
    sub-resources (tickets.views.VehicleTicketsViewSet: /vehicles/<id>/tickets)."""

    permission_classes = [VehicleAccess]
    lookup_value_regex = r"[0-9]{1,19}"

    def get_queryset(self):
        return selectors.vehicle_list()

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            raise unknown_record_error(self.request, "No vehicle matches the given query.") from None


@extend_schema_view(
    list=extend_schema(summary="List vehicles (staff)", responses={200: VehicleSerializer(many=True), **errors(*LIST)}),
    retrieve=extend_schema(
        summary="One vehicle (staff, or its customer)", responses={200: VehicleSerializer, **errors(*RETRIEVE)}
    ),
    create=extend_schema(
        summary="Add a vehicle (a customer adds their own)",
        examples=[VEHICLE_EXAMPLE],
        responses={201: VehicleSerializer, **errors(*CREATE, 404, 429)},
    ),
    update=extend_schema(
        summary="Replace a vehicle", examples=[VEHICLE_EXAMPLE], responses={200: VehicleSerializer, **errors(*UPDATE)}
    ),
    partial_update=extend_schema(
        summary="Change some fields of a vehicle", responses={200: VehicleSerializer, **errors(*UPDATE)}
    ),
    destroy=extend_schema(
        summary="Delete a vehicle without service history", responses={204: None, **errors(*DESTROY)}
    ),
)
@extend_schema(tags=["vehicles"])
# A vehicle's service history (/vehicles/<id>/tickets) lists tickets: tickets serves it
# (tickets.views.VehicleTicketsViewSet, routed from tickets/urls.py).
class VehicleViewSet(
    MethodNotAllowedFirstMixin, VehicleLookupMixin, IdempotentMixin, ConditionalDestroyMixin, viewsets.ModelViewSet
):
    etag_resource = "vehicles"
    serializer_class = VehicleSerializer
    pagination_class = HeaderPagination
    filter_backends = LIST_FILTERS
    filterset_class = VehicleFilterSet
    search_fields = ["vin", "make", "model", "license_plate"]
    ordering_fields = ["id", "year", "make"]
    throttle_classes = [ScopedRateThrottle]
    # One budget with POST /tickets: what a customer may create in an hour. Staff are not counted.
    throttle_scopes = {"create": RateLimit("customer_writes", key=caller_unless_staff)}

    def perform_create(self, serializer):
        data = serializer.validated_data
        customer_id = owner_for_caller(self.request, requested=data.get("customer_id"), what="vehicles")
        if customer_id is None:
            raise ValidationError({"customer_id": ["This field is required."]})
        serializer.instance = services.vehicle_create(
            customer_id=customer_id,
            vin=data["vin"],
            year=data["year"],
            make=data["make"],
            model=data["model"],
            license_plate=data.get("license_plate", ""),
        )

    def perform_update(self, serializer):
        changes = dict(serializer.validated_data)
        if "customer_id" in changes:
            changes["customer_id"] = owner_for_caller(
                self.request, requested=changes["customer_id"], current=serializer.instance.customer_id, what="vehicles"
            )
        serializer.instance = services.vehicle_update(
            vehicle_id=serializer.instance.pk,
            changes=changes,
            customer_id=calling_customer_id(self.request),
            by=actor_name(self.request.user),
        )

    def perform_destroy(self, instance):
        services.vehicle_delete(
            vehicle_id=instance.pk, customer_id=calling_customer_id(self.request), by=actor_name(self.request.user)
        )
