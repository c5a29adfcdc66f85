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


def integer_path_ids(result, generator, request, public):
    """Document path ids as what they are, positive integers, not digit strings.

    The routes match `[0-9]+` (lookup_value_regex), which drf-spectacular describes as a string
    with a pattern; clients and client generators are better served by the integer type.
    """
    for operations in result["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["schema"] in (
                    {"type": "string", "pattern": "^[0-9]+$"},
                    {"type": "integer"},
                ):
                    parameter["schema"] = {"type": "integer", "minimum": 1}
    return result
