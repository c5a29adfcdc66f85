from celery import shared_task
from django.conf import settings

from events.tasks import DATABASE_RETRIES
from webhooks import services


# One attempt of one delivery per task, so a slow receiver holds one worker process for at most
# WEBHOOK_TIMEOUT seconds and delays no other delivery; the time limits are the backstop.
@shared_task(
    soft_time_limit=settings.WEBHOOK_TIMEOUT + 2,
    time_limit=settings.WEBHOOK_TIMEOUT + 4,
    **DATABASE_RETRIES,
)
def deliver(delivery_id: int) -> None:
    services.attempt_delivery(delivery_id=delivery_id)


@shared_task
def sweep() -> dict[str, int]:
    return services.sweep_deliveries()
