from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class ShopJWTScheme(SimpleJWTScheme):
    """Documents accounts.authentication.ShopJWTAuthentication as SimpleJWT's bearer JWT."""

    target_class = "accounts.authentication.ShopJWTAuthentication"
    name = "jwtAuth"
