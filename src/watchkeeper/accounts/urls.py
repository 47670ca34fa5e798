from __future__ import annotations

from django.urls import path

from watchkeeper.accounts import views

urlpatterns = [
    path("preferences/", views.preferences, name="preferences"),
]
