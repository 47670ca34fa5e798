from __future__ import annotations

from django.urls import path

from watchkeeper.chat import views

app_name = "chatconsole"

urlpatterns = [
    path("", views.console, name="chats"),
]
