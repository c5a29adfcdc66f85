from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "documents"
    verbose_name = "Printed estimates and invoices"

    def ready(self) -> None:
        from documents import checks  # noqa: F401  (registers the deployment check)
