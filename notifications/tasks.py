from celery import shared_task

from events.tasks import DATABASE_RETRIES
from notifications import services


@shared_task(**DATABASE_RETRIES)
def send(email_id: int) -> str | None:
    return services.send_email(email_id=email_id)


@shared_task
def sweep() -> dict[str, int]:
    return services.sweep_emails()


@shared_task
def prune() -> int:
    return services.prune_emails()
