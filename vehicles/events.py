"""What vehicles tell the outbox (events.services.record_event): the vehicle as the API shows it."""

from events.models import EventType
from events.services import record_event


def vehicle_created(vehicle) -> None:
    from vehicles.serializers import VehicleSerializer  # the serializer imports the services

    record_event(type=EventType.VEHICLE_CREATED, data=VehicleSerializer(vehicle).data)
