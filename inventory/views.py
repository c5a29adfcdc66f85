from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.permissions import AllowAny, IsAdminUser

from core.filters import LIST_FILTERS
from core.pagination import HeaderPagination
from core.schema import CREATE, DESTROY, UPDATE, errors
from core.viewsets import MethodNotAllowedFirstMixin
from inventory import selectors, services
from inventory.filters import InventoryFilterSet
from inventory.serializers import InventorySerializer


@extend_schema_view(
    list=extend_schema(summary="List inventory items (anyone)", auth=[], responses={200: InventorySerializer(many=True), **errors(400, 401, 503)}),
    retrieve=extend_schema(summary="One inventory item (anyone)", auth=[], responses={200: InventorySerializer, **errors(401, 404, 503)}),
    create=extend_schema(summary="Add an inventory item", responses={201: InventorySerializer, **errors(*CREATE)}),
    update=extend_schema(summary="Replace an inventory item", responses={200: InventorySerializer, **errors(*UPDATE)}),
    partial_update=extend_schema(summary="Change some fields of an inventory item", responses={200: InventorySerializer, **errors(*UPDATE)}),
    destroy=extend_schema(summary="Delete an item used on no ticket", responses={204: None, **errors(*DESTROY)}),
)
@extend_schema(tags=["inventory"])
class InventoryViewSet(MethodNotAllowedFirstMixin, viewsets.ModelViewSet):
    serializer_class = InventorySerializer
    pagination_class = HeaderPagination
    lookup_value_regex = r"[0-9]{1,19}"
    filter_backends = LIST_FILTERS
    filterset_class = InventoryFilterSet
    search_fields = ["name"]
    ordering_fields = ["id", "name", "price", "quantity_on_hand"]

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [AllowAny()]
        return [IsAdminUser()]

    def get_queryset(self):
        if self.action == "list":
            return selectors.inventory_rows()
        return selectors.inventory_list()

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.inventory_create(name=data["name"], price=data["price"])

    def perform_update(self, serializer):
        serializer.instance = services.inventory_update(item_id=serializer.instance.pk, changes=serializer.validated_data)

    def perform_destroy(self, instance):
        services.inventory_delete(item_id=instance.pk)
