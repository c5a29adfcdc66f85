from functools import partial

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core import caching
from core.openapi import CREATE, DESTROY, LIST, RETRIEVE, UPDATE, errors
from core.pagination import HeaderPagination
from core.permissions import IsStaff
from core.throttling import ScopedRateThrottle
from mechanics import selectors, services
from mechanics.serializers import MechanicSerializer, TopMechanicSerializer

MECHANIC_CACHE_SECONDS = 60


@extend_schema_view(
    list=extend_schema(summary="List mechanics", responses={200: MechanicSerializer(many=True), **errors(*LIST, 429)}),
    retrieve=extend_schema(summary="One mechanic", responses={200: MechanicSerializer, **errors(*RETRIEVE)}),
    create=extend_schema(summary="Add a mechanic", responses={201: MechanicSerializer, **errors(*CREATE)}),
    update=extend_schema(summary="Replace a mechanic", responses={200: MechanicSerializer, **errors(*UPDATE)}),
    partial_update=extend_schema(summary="Change some fields of a mechanic", responses={200: MechanicSerializer, **errors(*UPDATE)}),
    destroy=extend_schema(summary="Delete a mechanic who is on no ticket", responses={204: None, **errors(*DESTROY, 429)}),
)
@extend_schema(tags=["mechanics"])
class MechanicViewSet(viewsets.ModelViewSet):
    serializer_class = MechanicSerializer
    permission_classes = [IsStaff]
    pagination_class = HeaderPagination
    throttle_classes = [ScopedRateThrottle]
    throttle_scopes = {"list": "mechanics_list", "destroy": "mechanics_delete"}
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return selectors.mechanic_list()

    def list(self, request, *args, **kwargs):
        build = partial(super().list, request, *args, **kwargs)
        return caching.cached_response(request, caching.MECHANICS, MECHANIC_CACHE_SECONDS, build)

    def retrieve(self, request, *args, **kwargs):
        build = partial(super().retrieve, request, *args, **kwargs)
        return caching.cached_response(request, caching.MECHANICS, MECHANIC_CACHE_SECONDS, build)

    def perform_create(self, serializer):
        serializer.instance = services.mechanic_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.mechanic_update(serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.mechanic_delete(instance)

    @extend_schema(
        summary="The three mechanics on the most tickets",
        responses={200: TopMechanicSerializer(many=True), **errors(401, 403, 503)},
    )
    @action(detail=False, methods=["get"], url_path="top-3-mechanics", pagination_class=None)
    def top_3_mechanics(self, request):
        return Response(TopMechanicSerializer(selectors.top_mechanics(3), many=True).data)
