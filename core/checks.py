"""System checks for settings the API's shortcuts depend on (run by `manage.py check`)."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def browser_only_sessions(app_configs, **kwargs):
    if settings.CSRF_USE_SESSIONS and "core.middleware.SessionMiddleware" in settings.MIDDLEWARE:
        return [
            checks.Error(
                "CSRF_USE_SESSIONS needs a session on every request, but core.middleware.SessionMiddleware "
                "gives one to browser pages only (the admin and the API docs).",
                hint="Keep CSRF_USE_SESSIONS off (the CSRF token then travels in its cookie).",
                id="core.E001",
            )
        ]
    return []


@checks.register()
def replayed_reads(app_configs, **kwargs):
    from core.wsgi import replay_blockers

    return [
        checks.Warning(
            f"Cached reads are not replayed in front of Django: {blocker}.",
            hint="core/wsgi.py lists the middleware a replay may skip; reads are still cached, only slower.",
            id="core.W001",
        )
        for blocker in replay_blockers()
    ]
