"""The total a customer last approved (API.md "Who may change a ticket, and when"). Null for every
existing ticket: a ticket with no recorded approval never needs one. A nullable column is added in
place on SQLite (ALTER TABLE ADD COLUMN), which keeps the ticket table's status-count triggers."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0008_report_date_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="approved_total",
            field=models.DecimalField(blank=True, decimal_places=2, editable=False, max_digits=14, null=True),
        ),
    ]
