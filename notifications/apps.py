from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"

    def ready(self) -> None:
        from events.signals import event_published
        from notifications import services

        event_published.connect(services.emails_for_event, dispatch_uid="notifications.emails_for_event")
