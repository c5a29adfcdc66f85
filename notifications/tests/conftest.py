import re

import pytest
from django.core import mail

from notifications.tests.factories import estimate_ticket


@pytest.fixture(autouse=True)
def _notifications_settings(settings, throttling_off):
    settings.PUBLIC_BASE_URL = "https://shop.example"
    settings.SHOP_NAME = "Spanner & Sons"
    settings.SHOP_PHONE = "(555) 010-9999"
    settings.DEFAULT_FROM_EMAIL = "Spanner & Sons <shop@example.com>"


@pytest.fixture
def ticket(db):
    return estimate_ticket()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """A context in which what commits runs its on-commit work (tasks run at once in tests)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def link_in():
    """The path of the first link to the service in an email's plain text."""

    def find(message, base: str = "https://shop.example") -> str:
        match = re.search(re.escape(base) + r"(/\S+)", message.body)
        assert match, message.body
        return match[1]

    return find


@pytest.fixture
def outbox():
    return mail.outbox
