from django.contrib import admin
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

# Refresh tokens are credentials: staff do not browse them in the admin. Expired ones are
# deleted by SimpleJWT's `manage.py flushexpiredtokens` (run it daily; see the README).
admin.site.unregister(OutstandingToken)
admin.site.unregister(BlacklistedToken)
