from django.db.models import QuerySet

from core.text import normalize_email
from mechanics.models import Mechanic


def mechanic_list() -> QuerySet[Mechanic]:
    return Mechanic.objects.order_by("id")


def email_taken(*, email: str, exclude_id: int | None = None) -> bool:
    return Mechanic.objects.filter(email=normalize_email(email)).exclude(pk=exclude_id).exists()


def top_mechanics(*, limit: int = 3) -> list[dict]:
    """The `limit` mechanics on the most tickets, most first, ties to the lower id.

    One query on the counts that database triggers keep (tickets/migrations/0002): an index scan
    of `limit` rows, however many tickets there are. Mechanics with no tickets fill the list
    when fewer have any.
    """
    return list(Mechanic.objects.order_by("-ticket_count", "id").values("id", "name", "email", "ticket_count")[:limit])
