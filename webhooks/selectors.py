from django.db.models import QuerySet

from webhooks.models import Delivery, Subscription


def subscription_list() -> QuerySet[Subscription]:
    return Subscription.objects.order_by("id")


def deliveries_of(*, subscription_id: int) -> QuerySet[Delivery]:
    """The subscription's deliveries, oldest first, with their event's type (one query)."""
    return (
        Delivery.objects.filter(subscription_id=subscription_id)
        .select_related("event")
        .defer("event__payload")
        .order_by("id")
    )
