"""The page that issues Open311 keys (town admins), at /api/keys/ in the `api` URL namespace.

A new key is shown once, in the response to the POST that created it (never stored in plain,
never put in a redirect or the session); that response is marked not to be cached.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from . import keys
from .forms import ApiKeyForm
from .models import ApiKey


@login_required
def key_list(request):
    if not keys.can_manage_keys(request.user):
        raise PermissionDenied
    form = ApiKeyForm(request.POST or None)
    context = {}
    if request.method == "POST" and form.is_valid():
        try:
            key, plain = keys.create_api_key(by=request.user, **form.cleaned_data)
        except keys.ApiKeyError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            context = {"new_key": key, "plain": plain}
            form = ApiKeyForm()
    context.update(form=form, keys=ApiKey.objects.select_related("created_by"))
    response = render(request, "open311/key_list.html", context)
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def key_revoke(request, pk):
    if not keys.can_manage_keys(request.user):
        raise PermissionDenied
    key = get_object_or_404(ApiKey, pk=pk)
    try:
        keys.revoke_api_key(key, by=request.user)
    except keys.ApiKeyError:
        pass  # already revoked: the list shows it
    return redirect("api:key_list")
