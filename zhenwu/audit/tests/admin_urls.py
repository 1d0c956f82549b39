"""A URL table for the admin tests: a private admin site with Department registered through
AuditedModelAdmin, beside the project's own URLs."""

from django.contrib.admin import AdminSite
from django.urls import include, path

from zhenwu.audit.admin import AuditedModelAdmin
from zhenwu.org.models import Department

site = AdminSite(name="audit_test_admin")
site.register(Department, AuditedModelAdmin)

urlpatterns = [
    path("test-admin/", site.urls),
    path("", include("zhenwu.urls")),
]
