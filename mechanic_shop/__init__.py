# The Celery app is loaded whenever Django starts, so that @shared_task binds to it.
from mechanic_shop.celery import app as celery_app

__all__ = ("celery_app",)
