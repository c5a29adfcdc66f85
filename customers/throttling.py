from core.throttling import ScopedRateThrottle


class SignupThrottle(ScopedRateThrottle):
    """Sign-ups by anonymous callers, per client address: each hashes a password, so unlimited
    sign-ups would slow everyone down. Staff creating customers are not limited."""

    def get_scope(self, request, view) -> str | None:
        if view.action == "create" and not request.user.is_authenticated:
            return "signup"
        return None
