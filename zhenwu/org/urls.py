from django.urls import path

from .views import boundaries, maps, people, roster

app_name = "org"

urlpatterns = [
    path("areas/", people.area_list, name="area_list"),
    path("departments/", people.department_list, name="department_list"),
    path("households/", people.household_list, name="household_list"),
    path("households/<int:pk>/", people.household_detail, name="household_detail"),
    path("households/new/", people.household_create, name="household_create"),
    path("households/<int:pk>/edit/", people.household_edit, name="household_edit"),
    path("households/<int:pk>/residents/new/", people.resident_create, name="resident_create"),
    path("residents/<int:pk>/edit/", people.resident_edit, name="resident_edit"),
    path("residents/<int:pk>/reveal/<str:field>/", people.resident_reveal, name="resident_reveal"),
    path("members/", people.member_list, name="member_list"),
    path("members/new/", people.member_create, name="member_create"),
    path("members/<int:pk>/", people.member_detail, name="member_detail"),
    path("members/<int:pk>/edit/", people.member_edit, name="member_edit"),
    path("members/<int:pk>/reveal/<str:field>/", people.member_reveal, name="member_reveal"),
    path("roster/import/", roster.roster_import, name="roster_import"),
    path("roster/jobs/<int:pk>/", roster.roster_job, name="roster_job"),
    path("roster/jobs/<int:pk>/commit/", roster.roster_commit, name="roster_commit"),
    path("roster/export/<str:kind>/", roster.roster_export, name="roster_export"),
    path("roster/samples/<str:kind>/", roster.roster_sample, name="roster_sample"),
    path("boundaries/import/", boundaries.boundary_import, name="boundary_import"),
    path("boundaries/jobs/<int:pk>/", boundaries.boundary_job, name="boundary_job"),
    path("locate.json", maps.locate_json, name="locate"),
    path("boundaries.geojson", maps.boundaries_geojson, name="boundaries"),
]
