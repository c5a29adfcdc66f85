from core.throttling import ScopedRateThrottle, client_address


class SignupThrottle(ScopedRateThrottle):
    """Sign-ups, per client address: each hashes a password, so unlimited sign-ups would slow
    everyone down. Staff creating customers are not limited; a customer's token does not lift
    the limit (anyone can get one by signing up once)."""

    def get_scope(self, request, view) -> str | None:
        if view.action == "create" and not request.user.is_staff:
            return "signup"
        return None

    def get_caller_key(self, request, view) -> str:
        return f"address:{client_address(request)}"
