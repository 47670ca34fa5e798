from __future__ import annotations

from django.urls import path

from watchkeeper.accounts import views as account_views
from watchkeeper.core import views

app_name = "console"
urlpatterns = [
    path("", views.console_home, name="home"),
    path("presence/", account_views.update_presence, name="presence"),
]
