from django.db.models import QuerySet

from vehicles.models import Vehicle


def vehicle_list() -> QuerySet[Vehicle]:
    return Vehicle.objects.order_by("id")


def vin_taken(*, vin: str, exclude_id: int | None = None) -> bool:
    return Vehicle.objects.filter(vin=vin.upper()).exclude(pk=exclude_id).exists()
