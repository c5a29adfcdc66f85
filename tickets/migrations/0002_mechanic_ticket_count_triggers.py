"""Database triggers that keep mechanics_mechanic.ticket_count equal to the mechanic's number of
rows in tickets_ticketmechanic, whatever writes them: services, bulk inserts, the admin, cascades
from a deleted ticket, raw SQL."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER ticketmechanic_count_insert AFTER INSERT ON tickets_ticketmechanic
       BEGIN UPDATE mechanics_mechanic SET ticket_count = ticket_count + 1 WHERE id = NEW.mechanic_id; END""",
    """CREATE TRIGGER ticketmechanic_count_delete AFTER DELETE ON tickets_ticketmechanic
       BEGIN UPDATE mechanics_mechanic SET ticket_count = ticket_count - 1 WHERE id = OLD.mechanic_id; END""",
    """CREATE TRIGGER ticketmechanic_count_update AFTER UPDATE OF mechanic_id ON tickets_ticketmechanic
       BEGIN
         UPDATE mechanics_mechanic SET ticket_count = ticket_count - 1 WHERE id = OLD.mechanic_id;
         UPDATE mechanics_mechanic SET ticket_count = ticket_count + 1 WHERE id = NEW.mechanic_id;
       END""",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS ticketmechanic_count_{op}" for op in ("insert", "delete", "update")]

POSTGRESQL = [
    """CREATE FUNCTION ticketmechanic_count() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP IN ('DELETE', 'UPDATE') THEN
           UPDATE mechanics_mechanic SET ticket_count = ticket_count - 1 WHERE id = OLD.mechanic_id;
         END IF;
         IF TG_OP IN ('INSERT', 'UPDATE') THEN
           UPDATE mechanics_mechanic SET ticket_count = ticket_count + 1 WHERE id = NEW.mechanic_id;
         END IF;
         RETURN NULL;
       END $$""",
    """CREATE TRIGGER ticketmechanic_count AFTER INSERT OR DELETE OR UPDATE OF mechanic_id
       ON tickets_ticketmechanic FOR EACH ROW EXECUTE FUNCTION ticketmechanic_count()""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS ticketmechanic_count ON tickets_ticketmechanic",
    "DROP FUNCTION IF EXISTS ticketmechanic_count()",
]

MYSQL = [
    """CREATE TRIGGER ticketmechanic_count_insert AFTER INSERT ON tickets_ticketmechanic FOR EACH ROW
       UPDATE mechanics_mechanic SET ticket_count = ticket_count + 1 WHERE id = NEW.mechanic_id""",
    """CREATE TRIGGER ticketmechanic_count_delete AFTER DELETE ON tickets_ticketmechanic FOR EACH ROW
       UPDATE mechanics_mechanic SET ticket_count = ticket_count - 1 WHERE id = OLD.mechanic_id""",
    """CREATE TRIGGER ticketmechanic_count_update AFTER UPDATE ON tickets_ticketmechanic FOR EACH ROW
       BEGIN
         IF NOT (OLD.mechanic_id <=> NEW.mechanic_id) THEN
           UPDATE mechanics_mechanic SET ticket_count = ticket_count - 1 WHERE id = OLD.mechanic_id;
           UPDATE mechanics_mechanic SET ticket_count = ticket_count + 1 WHERE id = NEW.mechanic_id;
         END IF;
       END""",
]
MYSQL_DROP = SQLITE_DROP

STATEMENTS = {
    "sqlite": (SQLITE, SQLITE_DROP),
    "postgresql": (POSTGRESQL, POSTGRESQL_DROP),
    "mysql": (MYSQL, MYSQL_DROP),
}


def _run(schema_editor, index: int) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in STATEMENTS:
        raise NotImplementedError(f"No ticket-count triggers for the {vendor} backend.")
    for statement in STATEMENTS[vendor][index]:
        schema_editor.execute(statement, params=None)


def create_triggers(apps, schema_editor):
    _run(schema_editor, 0)


def drop_triggers(apps, schema_editor):
    _run(schema_editor, 1)


class Migration(migrations.Migration):
    # MySQL cannot roll back DDL, and Django refuses DDL inside a transaction there.
    atomic = False

    dependencies = [
        ("tickets", "0001_initial"),
        ("mechanics", "0002_ticket_count"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
