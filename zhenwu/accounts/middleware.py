from django.shortcuts import redirect
from django.urls import reverse

# Paths a user who still owes the second factor may reach.
_OPEN_PREFIXES = ("/accounts/", "/static/", "/media/", "/healthz")


class SecondFactorMiddleware:
    """Roles listed in ZHENWU_SECOND_FACTOR_ROLES reach no page until a TOTP device verified this session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.needs_second_factor
            and not user.is_verified()
            and not request.path.startswith(_OPEN_PREFIXES)
        ):
            return redirect(f"{reverse('accounts:otp_verify')}?next={request.get_full_path()}")
        return self.get_response(request)
