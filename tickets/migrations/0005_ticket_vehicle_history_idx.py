"""The index of a vehicle's service history, newest first (GET /vehicles/<id>/tickets)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    # After the vehicles' data step, so its UPDATE linking tickets does not maintain this index
    # row by row; the index is built once over the linked tickets.
    dependencies = [
        ("tickets", "0004_workflow_links"),
        ("vehicles", "0002_vehicles_from_tickets"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["vehicle", "service_date", "id"], name="ticket_vehicle_history_idx"),
        ),
    ]
