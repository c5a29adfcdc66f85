from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """Routes that match with and without the trailing slash, so no client is redirected."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"
