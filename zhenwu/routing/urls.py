from django.urls import path

from . import views

app_name = "routing"

urlpatterns = [
    path("models/", views.model_list, name="model_list"),
    path("models/<int:pk>/activate/", views.model_activate, name="model_activate"),
    path("settings/<int:town_pk>/", views.settings_save, name="settings_save"),
    path("words/", views.word_add, name="word_add"),
    path("words/<int:pk>/delete/", views.word_delete, name="word_delete"),
    path("concerns/<int:pk>/apply/", views.apply_suggestion, name="apply_suggestion"),
    path("suggestions/<int:pk>/undo/", views.undo_auto_dispatch, name="undo_auto_dispatch"),
    path("hot/", views.hot_issue_list, name="hot_issue_list"),
    path("hot/act/", views.hot_issue_act, name="hot_issue_act"),
    path("hot/merge/", views.hot_issue_merge, name="hot_issue_merge"),
    path("hot/split/", views.hot_issue_split, name="hot_issue_split"),
    path("hot/dismiss/", views.hot_issue_dismiss, name="hot_issue_dismiss"),
    path("hot/decisions/<int:pk>/restore/", views.hot_issue_restore, name="hot_issue_restore"),
]
