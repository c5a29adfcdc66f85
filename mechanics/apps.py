from django.apps import AppConfig


class MechanicsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mechanics"

    def ready(self) -> None:
        from mechanics import signals  # noqa: F401  (connects cache invalidation)
