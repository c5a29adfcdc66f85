from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.callers import actor_name
from core.caching import cache_read
from core.conditional import ConditionalDestroyMixin
from core.filters import LIST_FILTERS
from core.pagination import HeaderPagination
from core.ratelimits import ScopedRateThrottle
from core.schema import CREATE, DESTROY, LIST, RETRIEVE, UPDATE, errors
from core.viewsets import MethodNotAllowedFirstMixin
from idempotency.views import IdempotentMixin
from mechanics import selectors, services
from mechanics.filters import MechanicFilterSet
from mechanics.serializers import MechanicSerializer, TopMechanicSerializer

MECHANIC_CACHE_SECONDS = 60


@extend_schema_view(
    list=extend_schema(summary="List mechanics", responses={200: MechanicSerializer(many=True), **errors(*LIST, 429)}),
    retrieve=extend_schema(summary="One mechanic", responses={200: MechanicSerializer, **errors(*RETRIEVE)}),
    create=extend_schema(summary="Add a mechanic", responses={201: MechanicSerializer, **errors(*CREATE)}),
    update=extend_schema(summary="Replace a mechanic", responses={200: MechanicSerializer, **errors(*UPDATE)}),
    partial_update=extend_schema(
        summary="Change some fields of a mechanic", responses={200: MechanicSerializer, **errors(*UPDATE)}
    ),
    destroy=extend_schema(
        summary="Delete a mechanic who is on no ticket", responses={204: None, **errors(*DESTROY, 429)}
    ),
)
@method_decorator(cache_read("mechanics", seconds=MECHANIC_CACHE_SECONDS), name="list")
@method_decorator(cache_read("mechanics", seconds=MECHANIC_CACHE_SECONDS), name="retrieve")
@extend_schema(tags=["mechanics"])
class MechanicViewSet(MethodNotAllowedFirstMixin, IdempotentMixin, ConditionalDestroyMixin, viewsets.ModelViewSet):
    etag_resource = "mechanics"
    """Staff only (the default permission, IsAdminUser)."""

    serializer_class = MechanicSerializer
    pagination_class = HeaderPagination
    throttle_classes = [ScopedRateThrottle]
    throttle_scopes = {"list": "mechanics_list", "destroy": "mechanics_delete"}
    lookup_value_regex = r"[0-9]{1,19}"
    filter_backends = LIST_FILTERS
    filterset_class = MechanicFilterSet
    search_fields = ["name", "email"]
    ordering_fields = ["id", "name", "salary"]

    def get_queryset(self):
        return selectors.mechanic_list()

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.mechanic_create(
            name=data["name"], email=data["email"], phone=data["phone"], salary=data["salary"]
        )

    def perform_update(self, serializer):
        serializer.instance = services.mechanic_update(
            mechanic_id=serializer.instance.pk, changes=serializer.validated_data, by=actor_name(self.request.user)
        )

    def perform_destroy(self, instance):
        services.mechanic_delete(mechanic_id=instance.pk, by=actor_name(self.request.user))

    @extend_schema(
        summary="The three mechanics on the most tickets",
        responses={200: TopMechanicSerializer(many=True), **errors(401, 403, 503)},
    )
    @action(detail=False, methods=["get"], url_path="top-3-mechanics", pagination_class=None)
    def top_3_mechanics(self, request):
        return Response(TopMechanicSerializer(selectors.top_mechanics(limit=3), many=True).data)
