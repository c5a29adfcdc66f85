from rest_framework.exceptions import MethodNotAllowed
from rest_framework.response import Response


class MethodNotAllowedFirstMixin:
    """For ViewSets: a signed-in caller using a method the route does not serve gets 405, as the
    API's status table says, instead of a 403 from permission checks that know no such action.
    Anonymous callers still get 401 first."""

    def check_permissions(self, request):
        if self.action is None and request.user.is_authenticated:
            raise MethodNotAllowed(request.method)
        super().check_permissions(request)


class ListActionMixin:
    """For ViewSet actions that list something other than the ViewSet's own queryset (a ticket's
    history, an item's ledger, a vehicle's tickets): paginated as the list is when the caller asks
    for a page, as ListModelMixin.list does."""

    def list_response(self, rows, serializer_class=None) -> Response:
        serializer_class = serializer_class or self.get_serializer_class()
        context = self.get_serializer_context()
        page = self.paginate_queryset(rows)
        if page is not None:
            return self.get_paginated_response(serializer_class(page, many=True, context=context).data)
        return Response(serializer_class(rows, many=True, context=context).data)
