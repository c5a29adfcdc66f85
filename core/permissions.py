from rest_framework.permissions import BasePermission

from core.authentication import is_staff
from core.ids import parse_id


class IsStaff(BasePermission):
    """Shop staff only. The default for every view that does not say otherwise."""

    def has_permission(self, request, view) -> bool:
        return is_staff(request.user)


def path_id(view, name: str = "pk") -> int | None:
    return parse_id(view.kwargs.get(name, ""))
