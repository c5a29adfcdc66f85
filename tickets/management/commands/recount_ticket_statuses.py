from django.core.management.base import BaseCommand

from tickets import services


class Command(BaseCommand):
    help = (
        "Recount the tickets in each status (the counts behind X-Total-Count of GET /tickets) from the "
        "tickets themselves. The database's triggers keep them exact; this is for after a TRUNCATE or a "
        "bulk load made with the triggers disabled."
    )

    def handle(self, *args, **options):
        counts = services.recount_ticket_statuses()
        summary = ", ".join(f"{status} {count}" for status, count in sorted(counts.items())) or "no tickets"
        self.stdout.write(f"Recounted {sum(counts.values())} tickets: {summary}.")
