"""The Celery application, as Celery's "First steps with Django" lays it out: configured from
Django's settings under the CELERY_ namespace, with every installed app's tasks.py discovered.

    celery -A mechanic_shop worker     # runs tasks
    celery -A mechanic_shop beat       # sends the periodic ones (CELERY_BEAT_SCHEDULE)
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mechanic_shop.settings")

app = Celery("mechanic_shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
