from django.apps import AppConfig


class TicketsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tickets"

    def ready(self) -> None:
        from core.conditional import register_version_source
        from tickets.versions import ticket_detail_version

        # A ticket's ETag is the version its cached detail is kept under: a 304 needs no body.
        register_version_source("tickets", ticket_detail_version)
