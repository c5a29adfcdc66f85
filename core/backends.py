from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from core.passwords import accepted_sign_ins

UserModel = get_user_model()


class RememberingModelBackend(ModelBackend):
    """Django's ModelBackend (staff sign-in to the API and the admin), where a staff member's
    accepted sign-in is remembered for a while (core.passwords). Everyone else, and every refused
    sign-in, goes through ModelBackend's full password check as before."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        recalled = self._recalled(username or kwargs.get(UserModel.USERNAME_FIELD), password)
        if recalled is not None:
            return recalled
        user = super().authenticate(request, username, password, **kwargs)
        if user is not None and user.is_staff:
            accepted_sign_ins.remember(user.password, password)  # the check may have upgraded the hash
        return user

    def _recalled(self, username, password):
        if username is None or password is None:
            return None
        try:
            user = UserModel._default_manager.get_by_natural_key(username)
        except UserModel.DoesNotExist:
            return None
        if user.is_staff and self.user_can_authenticate(user) and accepted_sign_ins.recalls(user.password, password):
            return user
        return None
