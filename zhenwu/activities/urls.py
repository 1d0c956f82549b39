from django.urls import path

from . import views

app_name = "activities"

urlpatterns = [
    path("", views.activity_list, name="activity_list"),
    path("new/", views.activity_create, name="activity_create"),
    path("<int:pk>/", views.activity_detail, name="activity_detail"),
    path("<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("<int:pk>/participants/", views.participant_add, name="participant_add"),
    path("<int:pk>/participants/search/", views.participant_search, name="participant_search"),
    path("<int:pk>/beneficiaries/", views.beneficiary_add, name="beneficiary_add"),
    path("<int:pk>/beneficiaries/search/", views.beneficiary_search, name="beneficiary_search"),
    path("beneficiaries/<int:pk>/remove/", views.beneficiary_remove, name="beneficiary_remove"),
    path("<int:pk>/hours/confirm-all/", views.hours_confirm_all, name="hours_confirm_all"),
    path("<int:pk>/photos/", views.photo_add, name="photo_add"),
    path("participations/<int:pk>/confirm/", views.hours_confirm, name="hours_confirm"),
    path("photos/<int:pk>/", views.photo_view, name="photo_view"),
    path("volunteers/", views.volunteer_ranking_page, name="volunteer_ranking"),
    path("contests/", views.contest_list, name="contest_list"),
    path("contests/new/", views.contest_create, name="contest_create"),
    path("contests/<int:pk>/", views.contest_detail, name="contest_detail"),
    path("contests/<int:pk>/entries/", views.entry_add, name="entry_add"),
    path("entries/<int:pk>/score/", views.entry_score, name="entry_score"),
    path("entries/<int:pk>/award/", views.entry_award, name="entry_award"),
    path("entries/<int:pk>/file/", views.entry_file, name="entry_file"),
    path("role-models/", views.role_model_list, name="role_model_list"),
    path("role-models/new/", views.role_model_create, name="role_model_create"),
    path("role-models/<int:pk>/", views.role_model_detail, name="role_model_detail"),
    path("role-models/<int:pk>/edit/", views.role_model_edit, name="role_model_edit"),
    path("role-models/<int:pk>/photos/", views.role_model_photo_add, name="role_model_photo_add"),
    path("role-models/photos/<int:pk>/", views.role_model_photo_view, name="role_model_photo_view"),
]
