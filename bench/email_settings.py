"""The production settings, with an email backend that notes when each email is handed to it
(bench/emails.py)."""

from bench.settings import *  # noqa: F403

EMAIL_BACKEND = "bench.emails.TimingBackend"
