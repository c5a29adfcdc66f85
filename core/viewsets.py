from rest_framework.exceptions import MethodNotAllowed


class MethodNotAllowedFirstMixin:
    """For ViewSets: a signed-in caller using a method the route does not serve gets 405, as the
    API's status table says, instead of a 403 from permission checks that know no such action.
    Anonymous callers still get 401 first."""

    def check_permissions(self, request):
        if self.action is None and request.user.is_authenticated:
            raise MethodNotAllowed(request.method)
        super().check_permissions(request)
