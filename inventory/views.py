from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.response import Response

from accounts.callers import actor_name
from core.conditional import ConditionalDestroyMixin
from core.filters import LIST_FILTERS
from core.pagination import HeaderPagination
from core.schema import CREATE, DESTROY, LIST, UPDATE, errors
from core.viewsets import ListActionMixin, MethodNotAllowedFirstMixin
from idempotency.views import IdempotentMixin, idempotent
from inventory import selectors, services, stock
from inventory.filters import InventoryFilterSet
from inventory.serializers import (
    InventoryCreateSerializer,
    InventorySerializer,
    MovementRequestSerializer,
    MovementSerializer,
)


@extend_schema_view(
    list=extend_schema(
        summary="List inventory items (anyone)",
        auth=[],
        responses={200: InventorySerializer(many=True), **errors(400, 401, 503)},
    ),
    retrieve=extend_schema(
        summary="One inventory item (anyone)", auth=[], responses={200: InventorySerializer, **errors(401, 404, 503)}
    ),
    create=extend_schema(
        summary="Add an inventory item",
        description="With `quantity_on_hand` the item's stock is tracked, and that quantity is its first "
        "`receipt` in the ledger; without it (or null) the stock is not counted.",
        request=InventoryCreateSerializer,
        responses={201: InventorySerializer, **errors(*CREATE)},
    ),
    update=extend_schema(
        summary="Replace an inventory item",
        description="`quantity_on_hand` is read-only here (ignored if sent): stock changes through movements.",
        responses={200: InventorySerializer, **errors(*UPDATE)},
    ),
    partial_update=extend_schema(
        summary="Change some fields of an inventory item",
        description="`quantity_on_hand` is read-only here (ignored if sent): stock changes through movements.",
        responses={200: InventorySerializer, **errors(*UPDATE)},
    ),
    destroy=extend_schema(
        summary="Delete an item used on no ticket and without stock movements",
        responses={204: None, **errors(*DESTROY)},
    ),
)
@extend_schema(tags=["inventory"])
class InventoryViewSet(
    MethodNotAllowedFirstMixin, ListActionMixin, IdempotentMixin, ConditionalDestroyMixin, viewsets.ModelViewSet
):
    etag_resource = "inventory"
    serializer_class = InventorySerializer
    pagination_class = HeaderPagination
    lookup_value_regex = r"[0-9]{1,19}"
    filter_backends = LIST_FILTERS
    filterset_class = InventoryFilterSet
    search_fields = ["name"]
    ordering_fields = ["id", "name", "price", "quantity_on_hand"]

    def get_permissions(self):
        # Only the catalogue is public: stock, its ledger and every write are staff's.
        if self.action in ("list", "retrieve"):
            return [AllowAny()]
        return [IsAdminUser()]

    def get_serializer_class(self):
        if self.action == "create":
            return InventoryCreateSerializer
        return InventorySerializer

    def get_queryset(self):
        if self.action == "list":
            return selectors.inventory_rows()
        return selectors.inventory_list()

    def list(self, request, *args, **kwargs):
        # The list is long and read-only, and its rows (selectors.ROW_FIELDS) are already what
        # InventorySerializer makes of an item, field for field: they are answered as they are.
        rows = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(rows)
        if page is not None:
            return self.get_paginated_response(list(page))
        return Response(list(rows))

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.inventory_create(
            name=data["name"],
            price=data["price"],
            reorder_point=data.get("reorder_point", 0),
            quantity_on_hand=data.get("quantity_on_hand"),
            by=actor_name(self.request.user),
        )

    def perform_update(self, serializer):
        serializer.instance = services.inventory_update(
            item_id=serializer.instance.pk, changes=serializer.validated_data, by=actor_name(self.request.user)
        )

    def perform_destroy(self, instance):
        services.inventory_delete(item_id=instance.pk, by=actor_name(self.request.user))

    @extend_schema(
        methods=["GET"],
        summary="An item's stock ledger, oldest first (staff)",
        request=None,
        responses={200: MovementSerializer(many=True), **errors(*LIST, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Record a receipt or an adjustment of stock (staff)",
        description="A receipt adds stock (`quantity` > 0); an adjustment adds or removes (`quantity` ≠ 0). "
        "On an untracked item the first movement starts tracking it from 0. An adjustment that would "
        "leave less than zero on hand is `409`, with `on_hand`.",
        request=MovementRequestSerializer,
        examples=[
            OpenApiExample("Delivery", value={"kind": "receipt", "quantity": 24, "note": "PO 1182"}, request_only=True),
            OpenApiExample(
                "Stock count", value={"kind": "adjustment", "quantity": -2, "note": "Damaged"}, request_only=True
            ),
        ],
        responses={201: MovementSerializer, **errors(*CREATE, 404)},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    @idempotent
    def movements(self, request, pk: str):
        item_id = int(pk)
        if request.method == "POST":
            body = MovementRequestSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            movement = stock.record_movement(item_id=item_id, by=actor_name(request.user), **body.validated_data)
            return Response(MovementSerializer(movement).data, status=status.HTTP_201_CREATED)
        if not selectors.item_exists(item_id=item_id):
            raise NotFound(f"Inventory item {item_id} not found.")
        return self.list_response(selectors.movements_of(item_id=item_id), MovementSerializer)

    @extend_schema(
        summary="Tracked items with no more on hand than their reorder point (staff)",
        responses={200: InventorySerializer(many=True), **errors(*LIST)},
    )
    @action(detail=False, methods=["get"], url_path="low-stock", filter_backends=[])
    def low_stock(self, request):
        return self.list_response(selectors.low_stock_rows(), InventorySerializer)
