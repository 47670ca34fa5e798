from __future__ import annotations

from django.urls import path

from watchkeeper.accounts import views

app_name = "console"
urlpatterns = [
    path("", views.console_home, name="home"),
    path("presence/", views.update_presence, name="presence"),
]
