from celery import shared_task

from idempotency import services


@shared_task
def prune() -> int:
    return services.prune_keys()
