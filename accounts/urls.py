from django.urls import re_path

from accounts import views

urlpatterns = [
    re_path(r"^auth/login/?$", views.StaffSignInView.as_view(), name="staff-login"),
    re_path(r"^auth/refresh/?$", views.RefreshView.as_view(), name="token-refresh"),
    re_path(r"^auth/logout/?$", views.SignOutView.as_view(), name="staff-logout"),
    re_path(r"^customers/login/?$", views.CustomerSignInView.as_view(), name="customer-login"),
    re_path(r"^customers/logout/?$", views.SignOutView.as_view(), name="customer-logout"),
]
