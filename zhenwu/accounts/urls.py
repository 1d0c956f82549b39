from django.urls import path

from . import token_views, views

app_name = "accounts"

urlpatterns = [
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/otp/setup/", views.otp_setup, name="otp_setup"),
    path("accounts/otp/verify/", views.otp_verify, name="otp_verify"),
    path("accounts/password/", views.password_change, name="password_change"),
    path("accounts/users/", views.user_list, name="user_list"),
    path("accounts/users/new/", views.user_create, name="user_create"),
    path("accounts/users/<int:pk>/", views.user_detail, name="user_detail"),
    path("accounts/users/<int:pk>/edit/", views.user_edit, name="user_edit"),
    path("accounts/users/<int:pk>/deactivate/", views.user_deactivate, name="user_deactivate"),
    path("accounts/users/<int:pk>/reactivate/", views.user_reactivate, name="user_reactivate"),
    path("accounts/users/<int:pk>/reset-password/", views.user_reset_password, name="user_reset_password"),
    path("accounts/users/<int:pk>/unlock/", views.user_unlock, name="user_unlock"),
    path("accounts/users/<int:pk>/reset-otp/", views.user_reset_otp, name="user_reset_otp"),
]

# Personal API tokens, under /api/ beside the staff API (zhenwu/urls.py composes the `api` namespace).
token_urlpatterns = [
    path("tokens/", token_views.token_list, name="token_list"),
    path("tokens/<int:pk>/revoke/", token_views.token_revoke, name="token_revoke"),
]
