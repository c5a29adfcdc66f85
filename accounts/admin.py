from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from core.admin_services import NoSecretLookups

# Refresh tokens are credentials: staff do not browse them in the admin. Expired ones are
# deleted by SimpleJWT's `manage.py flushexpiredtokens` (run it daily; see the README).
admin.site.unregister(OutstandingToken)
admin.site.unregister(BlacklistedToken)

# Django's pages for staff users and groups, with the guard every page of the admin has: no
# changelist filter reaches a password (Django's UserAdmin refuses `password...` lookups itself;
# the guard also covers relations, on every page alike).
admin.site.unregister(get_user_model())
admin.site.unregister(Group)


@admin.register(get_user_model())
class StaffUserAdmin(NoSecretLookups, auth_admin.UserAdmin):
    pass


@admin.register(Group)
class GroupAdmin(NoSecretLookups, auth_admin.GroupAdmin):
    pass
