from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"

    def ready(self) -> None:
        from events.signals import event_published
        from webhooks import services

        event_published.connect(services.fan_out, dispatch_uid="webhooks.fan_out")
