from django.urls import path

from .views import briefings, county, dashboard, dispatch_sheets, figures, home, ledgers

app_name = "reports"

urlpatterns = [
    path("", home.home, name="home"),
    path("reports/", dashboard.dashboard_page, name="dashboard"),
    path("reports/county/", county.county_dashboard, name="county_dashboard"),
    path("reports/figures/<slug:key>/", figures.figure_records, name="figure_records"),
    path("reports/ledgers/", ledgers.ledger_list, name="ledger_list"),
    path("reports/ledgers/<int:pk>/", ledgers.ledger_job, name="ledger_job"),
    path("reports/ledgers/<int:pk>/download/", ledgers.ledger_download, name="ledger_download"),
    path("reports/briefings/", briefings.briefing_list, name="briefing_list"),
    path("reports/briefings/generate/", briefings.briefing_generate, name="briefing_generate"),
    path("reports/briefings/settings/", briefings.briefing_settings, name="briefing_settings"),
    path("reports/briefings/<int:pk>/", briefings.briefing_detail, name="briefing_detail"),
    path("reports/briefings/<int:pk>/edit/", briefings.briefing_edit, name="briefing_edit"),
    path("reports/briefings/<int:pk>/highlights/", briefings.briefing_highlights, name="briefing_highlights"),
    path("reports/briefings/<int:pk>/issue/", briefings.briefing_issue, name="briefing_issue"),
    path("reports/briefings/<int:pk>/regenerate/", briefings.briefing_regenerate, name="briefing_regenerate"),
    path("reports/briefings/<int:pk>/publish/", briefings.briefing_publish, name="briefing_publish"),
    path("reports/briefings/<int:pk>/v<int:number>/", briefings.briefing_version, name="briefing_version"),
    path(
        "reports/dispatch-sheets/<int:pk>/<int:event_id>.<str:fmt>",
        dispatch_sheets.dispatch_sheet,
        name="dispatch_sheet",
    ),
    path("reports/briefings/files/<int:pk>/", briefings.briefing_download, name="briefing_download"),
]
