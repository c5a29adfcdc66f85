"""The WSGI application gunicorn serves (`mechanic_shop.wsgi:application`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mechanic_shop.settings")

application = get_wsgi_application()
