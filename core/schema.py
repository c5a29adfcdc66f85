"""drf-spectacular descriptions of our authentication classes."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object


class PrincipalJWTScheme(OpenApiAuthenticationExtension):
    target_class = "core.authentication.PrincipalJWTAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer", bearer_format="JWT")


class NoAuthenticationScheme(OpenApiAuthenticationExtension):
    """Sign-in endpoints take no token: an empty requirement, and no scheme to define."""

    target_class = "core.authentication.NoAuthentication"
    name: list[str] = []

    def get_security_requirement(self, auto_schema):
        return {}

    def get_security_definition(self, auto_schema):
        return []


def strip_trailing_slashes(result, generator, request, public):
    """Document paths as API.md writes them (`/customers/{id}`); both spellings are served."""
    result["paths"] = {
        (path.rstrip("/") or "/"): operations for path, operations in result["paths"].items()
    }
    return result
