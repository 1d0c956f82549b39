from django.urls import path

from . import household_map, views

app_name = "grid"

urlpatterns = [
    path("", views.visit_home, name="visit_home"),
    path("map.json", household_map.household_map_data, name="household_map_data"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/visit/", views.visit_create, name="visit_create"),
    path("households/<int:pk>/location/", views.household_location, name="household_location"),
    path("households/<int:pk>/link/", views.household_link, name="household_link"),
    path("links/<int:pk>/end/", views.link_end, name="link_end"),
    path("visits/<int:pk>/photo/", views.visit_photo, name="visit_photo"),
    path("overdue/", views.overdue_list, name="overdue_list"),
    path("coverage/", views.coverage_page, name="coverage"),
    path("unlinked/", views.unlinked_list, name="unlinked_list"),
    path("grids/<int:pk>/assign/", views.grid_assign, name="grid_assign"),
    path("members/<int:pk>/", views.member_detail, name="member_detail"),
    path("members/<int:pk>/roles/", views.member_roles, name="member_roles"),
    path("members/<int:pk>/deeds/", views.exemplar_record_add, name="exemplar_record_add"),
    path("deeds/<int:pk>/delete/", views.exemplar_record_delete, name="exemplar_record_delete"),
    path("deeds/<int:pk>/photo/", views.exemplar_record_photo, name="exemplar_record_photo"),
    path("exemplars/", views.exemplar_overview, name="exemplar_overview"),
    path("rule/", views.cadence_rule, name="cadence_rule"),
    path("meetings/", views.meeting_list, name="meeting_list"),
    path("meetings/new/", views.meeting_create, name="meeting_create"),
    path("meetings/new/residents/", views.meeting_resident_search, name="meeting_resident_search"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/concerns/", views.meeting_concerns, name="meeting_concerns"),
    path("meeting-photos/<int:pk>/", views.meeting_photo, name="meeting_photo"),
]
