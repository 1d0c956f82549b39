from .views import callbacks, deadlines, mine, photos, public, staff

app_name = "concerns"

# Resident-facing pages (no account: the phone form, the private follow link, the public board,
# 我的反映)
# and staff work pages live in separate modules, each with its own URL list.
urlpatterns = (
    public.urlpatterns
    + mine.urlpatterns
    + staff.urlpatterns
    + deadlines.urlpatterns
    + callbacks.urlpatterns
    + photos.urlpatterns
)
