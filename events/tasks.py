from celery import shared_task
from django.db import DatabaseError

from events import services

# A database that is down or lost a race: tried again with growing waits; past the last try the
# sweep still finds the event undispatched.
DATABASE_RETRIES = {"autoretry_for": (DatabaseError,), "retry_backoff": 2, "retry_backoff_max": 300, "max_retries": 6}


@shared_task(**DATABASE_RETRIES)
def dispatch(event_id: str) -> bool:
    return services.dispatch_event(event_id=event_id)


@shared_task
def sweep() -> int:
    return services.dispatch_pending()


@shared_task
def prune() -> int:
    return services.prune_events()
