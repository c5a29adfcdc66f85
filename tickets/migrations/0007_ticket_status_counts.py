"""Per-status ticket counts (tickets.models.TicketStatusCount), filled from the tickets there are
and kept exact by database triggers on tickets_ticket, as 0002 keeps the mechanics' counts:
whatever inserts, deletes or changes the status of tickets (services, bulk inserts, queryset
updates, raw SQL) moves the counts in the same transaction.

A status that has no row yet gets one from the first ticket that takes it (an upsert), so a new
status needs no migration here. A change of status updates two count rows, the lower status
first, so two transitions crossing each other wait for one another instead of deadlocking
(PostgreSQL takes the rows of a whole statement in that order too).

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

# PostgreSQL runs its triggers once per statement, on the statement's rows (transition tables):
# a row trigger would update a count row once per ticket, and PostgreSQL writes a new version of a
# row at each update, which later updates in the same transaction must step over (README "Finding
# tickets at a million rows" has the cost). Per statement, each status's row is updated once.
POSTGRESQL = [
    f"""CREATE FUNCTION ticket_status_count_add(changed_status text, delta bigint) RETURNS void
       LANGUAGE plpgsql AS $$
       BEGIN
         IF delta > 0 THEN
           INSERT INTO {COUNTS} (status, ticket_count) VALUES (changed_status, delta)
           ON CONFLICT (status) DO UPDATE SET ticket_count = {COUNTS}.ticket_count + EXCLUDED.ticket_count;
         ELSIF delta < 0 THEN
           UPDATE {COUNTS} SET ticket_count = ticket_count + delta WHERE status = changed_status;
         END IF;
       END $$""",
    # Each loop visits the statuses in order: the order in which every writer locks their rows.
    """CREATE FUNCTION ticket_status_count_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE changed record;
       BEGIN
         FOR changed IN SELECT status, COUNT(*) AS delta FROM new_rows GROUP BY status ORDER BY status LOOP
           PERFORM ticket_status_count_add(changed.status, changed.delta);
         END LOOP;
         RETURN NULL;
       END $$""",
    """CREATE FUNCTION ticket_status_count_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE changed record;
       BEGIN
         FOR changed IN SELECT status, -COUNT(*) AS delta FROM old_rows GROUP BY status ORDER BY status LOOP
           PERFORM ticket_status_count_add(changed.status, changed.delta);
         END LOOP;
         RETURN NULL;
       END $$""",
    # Transition tables cannot go with UPDATE OF status: this runs for every UPDATE of tickets, and
    # finds nothing to do unless statuses changed.
    """CREATE FUNCTION ticket_status_count_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE changed record;
       BEGIN
         FOR changed IN
           SELECT status, SUM(delta) AS delta
           FROM (SELECT status, 1 AS delta FROM new_rows UNION ALL SELECT status, -1 FROM old_rows) AS moves
           GROUP BY status HAVING SUM(delta) <> 0 ORDER BY status
         LOOP
           PERFORM ticket_status_count_add(changed.status, changed.delta);
         END LOOP;
         RETURN NULL;
       END $$""",
    """CREATE TRIGGER ticket_status_count_insert AFTER INSERT ON tickets_ticket
       REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_status_count_on_insert()""",
    """CREATE TRIGGER ticket_status_count_delete AFTER DELETE ON tickets_ticket
       REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_status_count_on_delete()""",
    """CREATE TRIGGER ticket_status_count_update AFTER UPDATE ON tickets_ticket
       REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION ticket_status_count_on_update()""",
]
POSTGRESQL_DROP = [
    *(f"DROP TRIGGER IF EXISTS ticket_status_count_{op} ON tickets_ticket" for op in ("insert", "delete", "update")),
    *(f"DROP FUNCTION IF EXISTS ticket_status_count_on_{op}()" for op in ("insert", "delete", "update")),
    "DROP FUNCTION IF EXISTS ticket_status_count_add(text, bigint)",
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
        ("tickets", "0006_ticket_filter_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="TicketStatusCount",
            fields=[
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("estimate", "Estimate"),
                            ("approved", "Approved"),
                            ("in_progress", "In Progress"),
                            ("completed", "Completed"),
                            ("invoiced", "Invoiced"),
                            ("closed", "Closed"),
                            ("cancelled", "Cancelled"),
                        ],
                        max_length=16,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("ticket_count", models.PositiveBigIntegerField(default=0)),
            ],
            options={
                "ordering": ["status"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("ticket_count__gte", 0)), name="ticket_status_count_not_negative"
                    )
                ],
            },
        ),
        # Not a transaction of its own: on PostgreSQL and SQLite the migration's transaction holds
        # it already, and MariaDB refuses DDL inside one (it cannot roll DDL back).
        migrations.RunPython(create_triggers_and_fill, drop_triggers, atomic=False),
    ]
