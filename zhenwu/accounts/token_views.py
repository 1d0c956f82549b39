"""The page where a staff account issues and revokes its personal API tokens, at /api/tokens/ in
the `api` URL namespace.

A new token is shown once, in the response to the POST that created it (never stored in plain,
never put in a redirect or the session); that response is marked not to be cached.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from . import tokens
from .forms import ApiTokenForm
from .models import ApiToken
from .services import AccountError


@login_required
def token_list(request):
    if request.user.role not in tokens.TOKEN_ROLES:
        raise PermissionDenied
    form = ApiTokenForm(request.POST or None)
    context = {}
    if request.method == "POST" and form.is_valid():
        token, plain = tokens.create_api_token(user=request.user, name=form.cleaned_data["name"])
        context = {"new_token": token, "plain": plain}
        form = ApiTokenForm()
    context.update(form=form, tokens=ApiToken.objects.filter(user=request.user))
    response = render(request, "accounts/token_list.html", context)
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    try:
        tokens.revoke_api_token(token, by=request.user)
    except AccountError:
        pass
    return redirect("api:token_list")
