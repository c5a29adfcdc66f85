from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.pagination import HeaderPagination
from core.schema import CREATE, DESTROY, LIST, RETRIEVE, UPDATE, errors
from core.viewsets import ListActionMixin, MethodNotAllowedFirstMixin
from idempotency.views import idempotent
from webhooks import selectors, services
from webhooks.serializers import DeliverySerializer, SubscriptionCreatedSerializer, SubscriptionSerializer

SUBSCRIPTION_EXAMPLE = OpenApiExample(
    "New webhook",
    value={
        "url": "https://accounting.example.com/hooks/shop",
        "events": ["invoice.issued", "payment.received"],
        "description": "Accounting",
    },
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(summary="List webhooks", responses={200: SubscriptionSerializer(many=True), **errors(*LIST)}),
    retrieve=extend_schema(summary="One webhook", responses={200: SubscriptionSerializer, **errors(*RETRIEVE)}),
    create=extend_schema(
        summary="Subscribe a URL to events (the answer holds the signing secret, shown only there)",
        request=SubscriptionSerializer,
        examples=[SUBSCRIPTION_EXAMPLE],
        responses={201: SubscriptionCreatedSerializer, **errors(*CREATE)},
    ),
    partial_update=extend_schema(
        summary="Change a webhook (url, events, description, active)",
        responses={200: SubscriptionSerializer, **errors(*UPDATE)},
    ),
    destroy=extend_schema(summary="Delete a webhook and its deliveries", responses={204: None, **errors(*DESTROY)}),
)
@extend_schema(tags=["webhooks"])
class WebhookViewSet(
    MethodNotAllowedFirstMixin,
    ListActionMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Staff only (the default permission, IsAdminUser)."""

    serializer_class = SubscriptionSerializer
    pagination_class = HeaderPagination
    lookup_value_regex = r"[0-9]{1,19}"

    def get_queryset(self):
        return selectors.subscription_list()

    @idempotent
    def create(self, request):
        body = SubscriptionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        subscription = services.subscription_create(
            url=data["url"], events=data["events"], description=data["description"]
        )
        return Response(SubscriptionCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk: str):
        subscription = self.get_object()
        body = SubscriptionSerializer(subscription, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        subscription = services.subscription_update(subscription_id=subscription.pk, changes=body.validated_data)
        return Response(SubscriptionSerializer(subscription).data)

    def perform_destroy(self, instance):
        services.subscription_delete(subscription_id=instance.pk)

    @extend_schema(
        summary="The webhook's deliveries: one per event, with its last attempt",
        responses={200: DeliverySerializer(many=True), **errors(*LIST, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request, pk: str):
        subscription = self.get_object()
        return self.list_response(selectors.deliveries_of(subscription_id=subscription.pk), DeliverySerializer)

    @extend_schema(
        summary="Send a delivery again, with a fresh retry schedule",
        request=None,
        parameters=[OpenApiParameter("delivery_id", int, OpenApiParameter.PATH)],
        responses={202: DeliverySerializer, **errors(401, 403, 404, 409, 503)},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9]{1,19})/redeliver",
        filter_backends=[],
        pagination_class=None,
    )
    @idempotent
    def redeliver(self, request, pk: str, delivery_id: str):
        delivery = services.redeliver(subscription_id=int(pk), delivery_id=int(delivery_id))
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
