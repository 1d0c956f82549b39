from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/otp/setup/", views.otp_setup, name="otp_setup"),
    path("accounts/otp/verify/", views.otp_verify, name="otp_verify"),
    path("accounts/password/", views.password_change, name="password_change"),
    path("accounts/users/", views.user_list, name="user_list"),
    path("healthz", views.healthz, name="healthz"),
]
