from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from core.passwords import accepted_sign_ins

UserModel = get_user_model()


class RememberingModelBackend(ModelBackend):
    """Django's ModelBackend (staff sign-in to the API and the admin), where a staff member's
    accepted sign-in is remembered for a while (core.passwords). Everyone else, and every refused
    sign-in, pays the full password check as before, including unknown usernames."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(UserModel.USERNAME_FIELD)
        if username is None or password is None:
            return None
        try:
            user = UserModel._default_manager.get_by_natural_key(username)
        except UserModel.DoesNotExist:
            UserModel().set_password(password)  # Django's own timing equaliser (#20760)
            return None
        may_be_remembered = user.is_staff and self.user_can_authenticate(user)
        if may_be_remembered and accepted_sign_ins.recalls(user.password, password):
            return user
        if user.check_password(password) and self.user_can_authenticate(user):
            if may_be_remembered:
                accepted_sign_ins.remember(user.password, password)
            return user
        return None
