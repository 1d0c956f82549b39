from django.urls import path

from .views import dashboard, home, ledgers

app_name = "reports"

urlpatterns = [
    path("", home.home, name="home"),
    path("reports/", dashboard.dashboard_page, name="dashboard"),
    path("reports/ledgers/", ledgers.ledger_list, name="ledger_list"),
    path("reports/ledgers/<int:pk>/", ledgers.ledger_job, name="ledger_job"),
    path("reports/ledgers/<int:pk>/download/", ledgers.ledger_download, name="ledger_download"),
]
