from __future__ import annotations

from django.urls import path

from watchkeeper.chat import views

app_name = "chat"

urlpatterns = [
    path("", views.chat_page, name="start"),
    path("messages/<int:ticket_id>/", views.chat_messages, name="messages"),
]
