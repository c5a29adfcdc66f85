"""Indexes for finding tickets: each list filter with the id after it, and on PostgreSQL trigram
indexes for the free-text search (README, "Finding things in lists")."""

from django.db import migrations, models

# DRF's search is `icontains`, which Django writes on PostgreSQL as UPPER("col"::text) LIKE
# UPPER('%word%'); these expression indexes match it exactly. pg_trgm is a trusted extension: the
# database's owner may create it without being a superuser.
TRIGRAM_INDEXES = {
    "ticket_vin_trgm_idx": "vin",
    "ticket_description_trgm_idx": "service_description",
}


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite and MariaDB search by scanning; see the README
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "tickets_ticket" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0005_ticket_vehicle_history_idx"),
    ]

    operations = [
        # (service_date, id) and (vin, id) serve everything the single-column indexes did.
        migrations.RemoveIndex(
            model_name="ticket",
            name="ticket_service_date_idx",
        ),
        migrations.RemoveIndex(
            model_name="ticket",
            name="ticket_vin_idx",
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["service_date", "id"], name="ticket_service_date_id_idx"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["vin", "id"], name="ticket_vin_id_idx"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["status", "id"], name="ticket_status_id_idx"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["customer", "id"], name="ticket_customer_id_idx"),
        ),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes, elidable=False),
    ]
