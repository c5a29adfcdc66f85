from django.urls import path, re_path

from notifications import views

urlpatterns = [
    re_path(
        r"^tickets/(?P<pk>[0-9]{1,19})/send-estimate/?$",
        views.SendEstimateViewSet.as_view({"post": "create"}),
        name="ticket-send-estimate",
    ),
    re_path(
        r"^customers/password-reset/?$",
        views.PasswordResetViewSet.as_view({"post": "create"}),
        name="customer-password-reset",
    ),
    re_path(
        r"^customers/password-reset/confirm/?$",
        views.PasswordResetViewSet.as_view({"post": "confirm"}),
        name="customer-password-reset-confirm",
    ),
    path("estimates/<str:token>", views.EstimatePageView.as_view(), name="estimate-page"),
    path("estimates/<str:token>/", views.EstimatePageView.as_view()),
    re_path(r"^password-reset/?$", views.PasswordResetPageView.as_view(), name="password-reset-page"),
]
