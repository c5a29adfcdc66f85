from functools import partial

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core import caching
from core.authentication import NoAuthentication, tokens_for_customer
from core.openapi import DESTROY, LIST, RETRIEVE, SIGN_IN, UPDATE, errors
from core.pagination import HeaderPagination
from core.ratelimits import enforce_login_limits
from core.serializers import LoginResponseSerializer, token_pair_body
from core.throttling import ScopedRateThrottle
from customers import selectors, services
from customers.permissions import CustomerAccess
from customers.serializers import CustomerLoginSerializer, CustomerSerializer

CUSTOMER_CACHE_SECONDS = 60


@extend_schema_view(
    list=extend_schema(summary="List customers (staff)", responses={200: CustomerSerializer(many=True), **errors(*LIST, 429)}),
    retrieve=extend_schema(summary="One customer (staff, or the customer themselves)", responses={200: CustomerSerializer, **errors(*RETRIEVE)}),
    create=extend_schema(summary="Sign up as a customer", auth=[], responses={201: CustomerSerializer, **errors(400, 401, 409, 413, 415, 503)}),
    update=extend_schema(summary="Replace a customer", responses={200: CustomerSerializer, **errors(*UPDATE)}),
    partial_update=extend_schema(summary="Change some fields of a customer", responses={200: CustomerSerializer, **errors(*UPDATE)}),
    destroy=extend_schema(summary="Delete a customer without tickets", responses={204: None, **errors(*DESTROY)}),
)
@extend_schema(tags=["customers"])
class CustomerViewSet(viewsets.ModelViewSet):
    serializer_class = CustomerSerializer
    permission_classes = [CustomerAccess]
    pagination_class = HeaderPagination
    throttle_classes = [ScopedRateThrottle]
    throttle_scopes = {"list": "customers_list"}
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return selectors.customer_list()

    def retrieve(self, request, *args, **kwargs):
        build = partial(super().retrieve, request, *args, **kwargs)
        return caching.cached_response(request, caching.CUSTOMERS, CUSTOMER_CACHE_SECONDS, build)

    def perform_create(self, serializer):
        serializer.instance = services.customer_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.customer_update(serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.customer_delete(instance)

    @extend_schema(
        summary="Customer sign-in",
        auth=[],
        request=CustomerLoginSerializer,
        responses={200: LoginResponseSerializer, **errors(*SIGN_IN)},
    )
    # AllowAny, like /auth/login: with no authenticator on this route, CustomerAccess would turn
    # a wrong method (GET /customers/login) into a 401 instead of a 405.
    @action(
        detail=False,
        methods=["post"],
        authentication_classes=[NoAuthentication],
        permission_classes=[AllowAny],
        throttle_classes=[],
    )
    def login(self, request):
        serializer = CustomerLoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = serializer.validated_data["email"]
        enforce_login_limits(request, f"customer:{email}")
        customer = services.customer_authenticate(email, serializer.validated_data["password"])
        if customer is None:
            raise AuthenticationFailed("Invalid email or password")
        return Response(token_pair_body(tokens_for_customer(customer), "Successfully logged in"))
