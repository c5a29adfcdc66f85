"""What customers tell the outbox (events.services.record_event): the customer as the API shows it."""

from events.models import EventType
from events.services import record_event


def customer_created(customer) -> None:
    from customers.serializers import CustomerSerializer  # the serializer imports the services

    record_event(type=EventType.CUSTOMER_CREATED, data=CustomerSerializer(customer).data)
