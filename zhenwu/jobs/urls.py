from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("<int:pk>/status/", views.job_status, name="job_status"),
    path("<int:pk>/download/", views.job_download, name="job_download"),
]
