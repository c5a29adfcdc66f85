from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True
    name = "accounts"
    verbose_name = "Sign-in and tokens"

    def ready(self) -> None:
        from accounts import schema, signals  # noqa: F401  (registers the receivers and the OpenAPI extension)


class ShopAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, with the site of accounts/admin_site.py (sign-in limits on its login)."""

    default = False
    default_site = "accounts.admin_site.ShopAdminSite"
