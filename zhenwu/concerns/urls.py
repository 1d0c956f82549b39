from .views import board_map, callbacks, catalogue, deadlines, mine, photos, public, staff

app_name = "concerns"

# Resident-facing pages (no account: the phone form, the private follow link, the public board,
# 我的反映)
# and staff work pages live in separate modules, each with its own URL list.
urlpatterns = (
    public.urlpatterns
    + board_map.urlpatterns
    + mine.urlpatterns
    + staff.urlpatterns
    + deadlines.urlpatterns
    + callbacks.urlpatterns
    + photos.urlpatterns
    + catalogue.urlpatterns
)
