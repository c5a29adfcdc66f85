from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from core.caching import cache_read
from core.conditional import ConditionalDestroyMixin
from core.errors import InvalidInput
from core.filters import LIST_FILTERS
from core.pagination import HeaderPagination
from core.ratelimits import RateLimit, ScopedRateThrottle, SignInGuard, address_unless_staff
from core.schema import CREATE, DESTROY, LIST, RETRIEVE, UPDATE, errors
from core.viewsets import MethodNotAllowedFirstMixin
from customers import selectors, services
from customers.filters import CustomerFilterSet
from customers.models import Customer
from customers.permissions import CustomerAccess
from customers.serializers import CustomerSerializer
from idempotency.views import IdempotentMixin

CUSTOMER_CACHE_SECONDS = 60


@extend_schema_view(
    list=extend_schema(
        summary="List customers (staff)", responses={200: CustomerSerializer(many=True), **errors(*LIST, 429)}
    ),
    retrieve=extend_schema(
        summary="One customer (staff, or the customer themselves)",
        responses={200: CustomerSerializer, **errors(*RETRIEVE)},
    ),
    create=extend_schema(
        summary="Sign up as a customer", auth=[], responses={201: CustomerSerializer, **errors(*CREATE, 429)}
    ),
    # 429: a customer changing their own password is counted against the sign-in limits.
    update=extend_schema(summary="Replace a customer", responses={200: CustomerSerializer, **errors(*UPDATE, 429)}),
    partial_update=extend_schema(
        summary="Change some fields of a customer", responses={200: CustomerSerializer, **errors(*UPDATE, 429)}
    ),
    destroy=extend_schema(summary="Delete a customer without tickets", responses={204: None, **errors(*DESTROY)}),
)
@method_decorator(cache_read("customers", seconds=CUSTOMER_CACHE_SECONDS), name="retrieve")
@extend_schema(tags=["customers"])
class CustomerViewSet(MethodNotAllowedFirstMixin, IdempotentMixin, ConditionalDestroyMixin, viewsets.ModelViewSet):
    etag_resource = "customers"
    serializer_class = CustomerSerializer
    permission_classes = [CustomerAccess]
    pagination_class = HeaderPagination
    throttle_classes = [ScopedRateThrottle]
    # Sign-ups hash a password each: unlimited ones would slow everyone down. Staff creating
    # customers are not limited.
    throttle_scopes = {"list": "customers_list", "create": RateLimit("signup", key=address_unless_staff)}
    lookup_value_regex = r"[0-9]{1,19}"
    filter_backends = LIST_FILTERS
    filterset_class = CustomerFilterSet
    search_fields = ["name", "email", "phone"]
    ordering_fields = ["id", "name", "email"]

    def get_queryset(self):
        return selectors.customer_list()

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.customer_create(
            name=data["name"], email=data["email"], phone=data["phone"], password=data["password"]
        )

    def perform_update(self, serializer):
        changes = dict(serializer.validated_data)
        current_password = changes.pop("current_password", None)
        by_owner = isinstance(self.request.user, Customer)
        guard = None
        if by_owner and services.needs_current_password(customer=serializer.instance, changes=changes):
            # Checking current_password is a password guess like a sign-in: counted under the
            # same limits, so a stolen access token is no unlimited oracle for the password.
            guard = SignInGuard(self.request, self.request.user.email)
            guard.check()
        try:
            serializer.instance = services.customer_update(
                customer_id=serializer.instance.pk,
                changes=changes,
                current_password=current_password,
                by_owner=by_owner,
                by=self.request.user.get_username(),  # what accounts.callers.actor_name returns
            )
        except InvalidInput as exc:
            if guard is not None and current_password is not None and "current_password" in exc.fields:
                guard.failed()
            raise

    def perform_destroy(self, instance):
        services.customer_delete(customer_id=instance.pk, by=self.request.user.get_username())
