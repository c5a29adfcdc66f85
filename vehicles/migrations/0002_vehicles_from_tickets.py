"""A vehicle for every (customer, VIN) of existing tickets whose VIN is a valid 17-character VIN,
and those tickets linked to it. Tickets with other VINs keep them, unlinked.

Streams the pairs in VIN order with the database doing the grouping, creates vehicles in batches
and links the tickets with one set-based UPDATE, so it runs in bounded memory on millions of
tickets. A VIN that was written on tickets of several customers (a car that changed hands)
becomes the vehicle of the customer of its latest visit; the others' tickets stay unlinked.
"""

from django.db import migrations
from django.db.models import Max, OuterRef, Subquery

from vehicles.vin import is_valid_vin

BATCH_SIZE = 2000


def create_vehicles(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    Vehicle = apps.get_model("vehicles", "Vehicle")
    pairs = (
        Ticket.objects.filter(vehicle__isnull=True)
        .values("vin", "customer_id")
        .annotate(last_visit=Max("service_date"), last_ticket=Max("id"))
        .order_by("vin", "-last_visit", "-last_ticket")
    )
    batch, previous_vin = [], None
    for pair in pairs.iterator(chunk_size=BATCH_SIZE):
        vin = pair["vin"].upper()
        if vin == previous_vin or not is_valid_vin(vin):
            continue
        previous_vin = vin
        batch.append(Vehicle(customer_id=pair["customer_id"], vin=vin))
        if len(batch) == BATCH_SIZE:
            Vehicle.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    Vehicle.objects.bulk_create(batch, ignore_conflicts=True)

    same_car = Vehicle.objects.filter(vin=OuterRef("vin"), customer_id=OuterRef("customer_id")).values("id")[:1]
    Ticket.objects.filter(vehicle__isnull=True, vin__in=Vehicle.objects.values("vin")).update(
        vehicle_id=Subquery(same_car)
    )


class Migration(migrations.Migration):
    # Batches commit one by one on a large table instead of holding one huge transaction.
    atomic = False

    dependencies = [
        ("vehicles", "0001_initial"),
        ("tickets", "0004_workflow_links"),
    ]

    operations = [migrations.RunPython(create_vehicles, migrations.RunPython.noop)]
