"""The API's routes plus `/bench/floor`: the floor of the stack on the same server, a DRF view that
authenticates the caller's JWT like every API view and answers a constant body."""

from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from mechanic_shop.urls import urlpatterns as api_urlpatterns

BODY = {"id": 1, "name": "Ada Lovelace", "email": "ada@example.com", "phone": "555-0101"}


class FloorView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response(BODY)


urlpatterns = [path("bench/floor", FloorView.as_view()), *api_urlpatterns]
