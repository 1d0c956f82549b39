"""The login backend: Django's ModelBackend, loading a signed-in account with its area in the same
query. Nearly every staff page asks for the account's area (its scope, and the menu, which shows
county accounts their county entries), which would otherwise cost a query of its own per request."""

from django.contrib.auth.backends import ModelBackend


class AccountBackend(ModelBackend):
    def get_user(self, user_id):
        user = self._user_for(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def _user_for(self, user_id):
        from django.contrib.auth import get_user_model

        model = get_user_model()
        try:
            return model._default_manager.select_related("area").get(pk=user_id)
        except model.DoesNotExist:
            return None
