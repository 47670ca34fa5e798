from __future__ import annotations

from django.urls import path

from watchkeeper.chat import views

app_name = "chat"

urlpatterns = [
    path("", views.chat_page, name="start"),
    path("messages/<int:ticket_id>/", views.chat_messages, name="messages"),
    path("files/<int:ticket_id>/", views.chat_upload, name="upload"),
    path("embed/", views.embed, name="embed"),
    path("embed/identify/", views.identify, name="identify"),
    path("embed/forget/", views.forget, name="forget"),
    path("embed/guest/", views.start_as_guest, name="guest"),
]
