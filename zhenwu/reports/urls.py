from django.urls import path

from .views import home

app_name = "reports"

urlpatterns = [
    path("", home.home, name="home"),
]
