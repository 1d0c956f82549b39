from django.urls import path

from . import views

app_name = "offline"

# The manifest and the service worker sit at the root: a worker controls only the paths under
# its own URL, and this one must control every page.
urlpatterns = [
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("offline/", views.queue_page, name="queue"),
    path("offline/pages.json", views.pages_json, name="pages"),
    path("offline/queue/", views.queue_receive, name="receive"),
    path("offline/queue/summary/", views.queue_summary, name="summary"),
    path("offline/workers/", views.queue_workers, name="workers"),
]
