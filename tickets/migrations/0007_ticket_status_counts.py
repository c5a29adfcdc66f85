"""Per-status ticket counts (tickets.models.TicketStatusCount), filled from the tickets there are
and kept exact by database triggers on tickets_ticket, as 0002 keeps the mechanics' counts:
whatever inserts, deletes or changes the status of tickets (services, bulk inserts, queryset
updates, cascades, raw SQL) moves the counts in the same transaction.

A status that has no row yet gets one from the first ticket that takes it (an upsert), so a new
status needs no migration here. A ticket that changes status updates two count rows, always in
the same order (the lower status first), so two transitions crossing each other cannot deadlock
on them.

What the triggers do not see: PostgreSQL's TRUNCATE and a load with the triggers disabled; run
`manage.py recount_ticket_statuses` after one. SQLite drops a table's triggers when Django
rebuilds the table to alter it: a later migration that alters tickets_ticket must create them
again (tickets/tests/test_status_counts.py fails until it does).
"""

from django.db import migrations, models

COUNTS = "tickets_ticketstatuscount"

SQLITE = [
    f"""CREATE TRIGGER ticket_status_count_insert AFTER INSERT ON tickets_ticket
       BEGIN
         INSERT OR IGNORE INTO {COUNTS} (status, ticket_count) VALUES (NEW.status, 0);
         UPDATE {COUNTS} SET ticket_count = ticket_count + 1 WHERE status = NEW.status;
       END""",
    f"""CREATE TRIGGER ticket_status_count_delete AFTER DELETE ON tickets_ticket
       BEGIN UPDATE {COUNTS} SET ticket_count = ticket_count - 1 WHERE status = OLD.status; END""",
    # SQLite's writers take turns (one write transaction at a time): no lock order to keep.
    f"""CREATE TRIGGER ticket_status_count_update AFTER UPDATE OF status ON tickets_ticket
       WHEN OLD.status IS NOT NEW.status
       BEGIN
         INSERT OR IGNORE INTO {COUNTS} (status, ticket_count) VALUES (NEW.status, 0);
         UPDATE {COUNTS} SET ticket_count = ticket_count - 1 WHERE status = OLD.status;
         UPDATE {COUNTS} SET ticket_count = ticket_count + 1 WHERE status = NEW.status;
       END""",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS ticket_status_count_{op}" for op in ("insert", "delete", "update")]

POSTGRESQL = [
    f"""CREATE FUNCTION ticket_status_count() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'UPDATE' AND OLD.status = NEW.status THEN
           RETURN NULL;
         END IF;
         IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.status < NEW.status) THEN
           UPDATE {COUNTS} SET ticket_count = ticket_count - 1 WHERE status = OLD.status;
         END IF;
         IF TG_OP IN ('INSERT', 'UPDATE') THEN
           INSERT INTO {COUNTS} (status, ticket_count) VALUES (NEW.status, 1)
           ON CONFLICT (status) DO UPDATE SET ticket_count = {COUNTS}.ticket_count + 1;
         END IF;
         IF TG_OP = 'UPDATE' AND OLD.status > NEW.status THEN
           UPDATE {COUNTS} SET ticket_count = ticket_count - 1 WHERE status = OLD.status;
         END IF;
         RETURN NULL;
       END $$""",
    """CREATE TRIGGER ticket_status_count AFTER INSERT OR DELETE OR UPDATE OF status
       ON tickets_ticket FOR EACH ROW EXECUTE FUNCTION ticket_status_count()""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS ticket_status_count ON tickets_ticket",
    "DROP FUNCTION IF EXISTS ticket_status_count()",
]

MYSQL = [
    f"""CREATE TRIGGER ticket_status_count_insert AFTER INSERT ON tickets_ticket FOR EACH ROW
       INSERT INTO {COUNTS} (status, ticket_count) VALUES (NEW.status, 1)
       ON DUPLICATE KEY UPDATE ticket_count = ticket_count + 1""",
    f"""CREATE TRIGGER ticket_status_count_delete AFTER DELETE ON tickets_ticket FOR EACH ROW
       UPDATE {COUNTS} SET ticket_count = ticket_count - 1 WHERE status = OLD.status""",
    f"""CREATE TRIGGER ticket_status_count_update AFTER UPDATE ON tickets_ticket FOR EACH ROW
       BEGIN
         IF OLD.status <> NEW.status THEN
           IF OLD.status < NEW.status THEN
             UPDATE {COUNTS} SET ticket_count = ticket_count - 1 WHERE status = OLD.status;
           END IF;
           INSERT INTO {COUNTS} (status, ticket_count) VALUES (NEW.status, 1)
           ON DUPLICATE KEY UPDATE ticket_count = ticket_count + 1;
           IF OLD.status > NEW.status THEN
             UPDATE {COUNTS} SET ticket_count = ticket_count - 1 WHERE status = OLD.status;
           END IF;
         END IF;
       END""",
]
MYSQL_DROP = SQLITE_DROP

STATEMENTS = {
    "sqlite": (SQLITE, SQLITE_DROP),
    "postgresql": (POSTGRESQL, POSTGRESQL_DROP),
    "mysql": (MYSQL, MYSQL_DROP),
}

FILL = f"INSERT INTO {COUNTS} (status, ticket_count) SELECT status, COUNT(*) FROM tickets_ticket GROUP BY status"


def _run(schema_editor, index: int) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in STATEMENTS:
        raise NotImplementedError(f"No ticket status count triggers for the {vendor} backend.")
    for statement in STATEMENTS[vendor][index]:
        schema_editor.execute(statement, params=None)


def create_triggers_and_fill(apps, schema_editor):
    # The triggers first, then the counts. On PostgreSQL and SQLite this migration is one
    # transaction, and creating a trigger holds off ticket writes until it commits, so no ticket
    # is missed or counted twice. MariaDB commits each CREATE TRIGGER at once and runs the fill
    # on its own: migrate it with ticket writes stopped (or recount after).
    _run(schema_editor, 0)
    schema_editor.execute(f"DELETE FROM {COUNTS}", params=None)
    schema_editor.execute(FILL, params=None)


def drop_triggers(apps, schema_editor):
    _run(schema_editor, 1)


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0006_ticket_filter_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='TicketStatusCount',
            fields=[
                ('status', models.CharField(choices=[('estimate', 'Estimate'), ('approved', 'Approved'), ('in_progress', 'In Progress'), ('completed', 'Completed'), ('invoiced', 'Invoiced'), ('closed', 'Closed'), ('cancelled', 'Cancelled')], max_length=16, primary_key=True, serialize=False)),
                ('ticket_count', models.PositiveBigIntegerField(default=0)),
            ],
            options={
                'ordering': ['status'],
                'constraints': [models.CheckConstraint(condition=models.Q(('ticket_count__gte', 0)), name='ticket_status_count_not_negative')],
            },
        ),
        # Not a transaction of its own: on PostgreSQL and SQLite the migration's transaction holds
        # it already, and MariaDB refuses DDL inside one (it cannot roll DDL back).
        migrations.RunPython(create_triggers_and_fill, drop_triggers, atomic=False),
    ]
