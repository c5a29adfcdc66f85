from django.db.models import QuerySet

from core.text import normalize_email
from customers.models import Customer


def customer_list() -> QuerySet[Customer]:
    return Customer.objects.order_by("id")


def email_taken(*, email: str, exclude_id: int | None = None) -> bool:
    return Customer.objects.filter(email=normalize_email(email)).exclude(pk=exclude_id).exists()
