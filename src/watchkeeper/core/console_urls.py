from __future__ import annotations

from django.urls import path

from watchkeeper.core import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_log, name="log"),
    path("export.csv", views.export_audit_log, name="export"),
    path("verify/", views.verify_audit_log, name="verify"),
    path("verify/status/", views.audit_verification_status, name="verification"),
]
