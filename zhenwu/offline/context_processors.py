from .access import uses_offline_app


def offline_app(request):
    """`offline_app`: base.html links the manifest and registers the service worker for it."""
    user = getattr(request, "user", None)
    return {"offline_app": user is not None and uses_offline_app(user)}
