"""Authentication of the staff API (/api/v1/, zhenwu.concerns.api) by personal token (kept apart from
the API views: DRF imports the authentication classes while their module is still loading)."""

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from . import tokens


class StaffTokenAuthentication(BaseAuthentication):
    """`Authorization: Token <token>` (or `Bearer <token>`) with a personal ApiToken."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in (b"token", b"bearer"):
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("令牌格式不正确，应为：Authorization: Token <令牌>")
        try:
            plain = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("令牌无效或已吊销") from None
        found = tokens.authenticate_api_token(plain)
        if found is None:
            raise exceptions.AuthenticationFailed("令牌无效或已吊销")
        return found

    def authenticate_header(self, request):
        return 'Token realm="api"'
