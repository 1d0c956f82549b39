from .views import callbacks, public, staff

app_name = "concerns"

# Resident-facing pages (no account: the phone form, the private follow link, the public board)
# and staff work pages live in separate modules, each with its own URL list.
urlpatterns = public.urlpatterns + staff.urlpatterns + callbacks.urlpatterns
