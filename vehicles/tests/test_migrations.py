"""The data step vehicles 0002 on tickets written before vehicles existed: the database is taken
back to vehicles 0001, tickets are written with the models of that time, and it is migrated
forward again."""

from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("vehicles", "0001_initial")]
AFTER = [("vehicles", "0002_vehicles_from_tickets")]

V1, V2, V3 = "1HGCM82633A004352", "1M8GDM9AXKP042788", "JH4KA7561PC008269"
WRONG_CHECK_DIGIT = "1HGCM82634A004352"


@pytest.fixture
def migrator(transactional_db):
    """A MigrationExecutor; the database is migrated to the latest state again afterwards."""
    yield MigrationExecutor(connection)
    call_command("migrate", verbosity=0)


def test_vehicles_from_valid_vins_and_their_tickets_linked(migrator):
    migrator.migrate(BEFORE)
    old = migrator.loader.project_state([("tickets", "0004_workflow_links")]).apps
    Customer, Ticket = old.get_model("customers", "Customer"), old.get_model("tickets", "Ticket")
    ann, bob = (
        Customer.objects.create(name=n, email=f"{n}@example.com", phone="555", password="!") for n in ("ann", "bob")
    )

    def ticket(customer, vin: str, day: int):
        return Ticket.objects.create(
            customer=customer,
            vin=vin,
            service_date=date(2025, 1, day),
            service_description="Visit",
            status="in_progress",
        ).pk

    ann_v1 = [ticket(ann, V1, 1), ticket(ann, V1, 2)]
    ann_unlinked = [ticket(ann, WRONG_CHECK_DIGIT, 3), ticket(ann, "ABC123", 4), ticket(ann, V3, 5)]
    bob_v2 = [ticket(bob, V2, 6)]
    bob_v3 = [ticket(bob, V3, 7)]  # V3 changed hands: Bob's is the latest visit

    migrator.loader.build_graph()
    migrator.migrate(AFTER)

    new = migrator.loader.project_state(AFTER).apps
    Vehicle, Ticket = new.get_model("vehicles", "Vehicle"), new.get_model("tickets", "Ticket")
    vehicles = {v.vin: v for v in Vehicle.objects.all()}
    assert {vin: v.customer_id for vin, v in vehicles.items()} == {V1: ann.pk, V2: bob.pk, V3: bob.pk}
    links = dict(Ticket.objects.values_list("pk", "vehicle_id"))
    assert [links[pk] for pk in ann_v1] == [vehicles[V1].pk] * 2
    assert [links[pk] for pk in bob_v2 + bob_v3] == [vehicles[V2].pk, vehicles[V3].pk]
    assert [links[pk] for pk in ann_unlinked] == [None, None, None]
    assert all(v.year is None and v.make == "" for v in vehicles.values())


def test_running_the_data_step_twice_changes_nothing(migrator):
    migrator.migrate(BEFORE)
    old = migrator.loader.project_state([("tickets", "0004_workflow_links")]).apps
    Customer, Ticket = old.get_model("customers", "Customer"), old.get_model("tickets", "Ticket")
    ann = Customer.objects.create(name="ann", email="ann@example.com", phone="555", password="!")
    Ticket.objects.create(
        customer=ann, vin=V1, service_date=date(2025, 1, 1), service_description="x", status="in_progress"
    )
    migrator.loader.build_graph()
    migrator.migrate(AFTER)
    migrator.loader.build_graph()
    migrator.migrate(BEFORE)  # its reverse is a no-op: the vehicles stay
    migrator.loader.build_graph()
    migrator.migrate(AFTER)

    Vehicle = migrator.loader.project_state(AFTER).apps.get_model("vehicles", "Vehicle")
    assert list(Vehicle.objects.values_list("vin", flat=True)) == [V1]
