from __future__ import annotations

from django.urls import path

from watchkeeper.chat import views

app_name = "chatconsole"

urlpatterns = [
    path("", views.console, name="chats"),
    path("supervisor/", views.supervisor, name="supervisor"),
    path("supervisor/board/", views.supervisor_board, name="supervisor_board"),
    path("macros/<int:ticket_id>/", views.chat_macros, name="macros"),
    path("articles/<int:ticket_id>/", views.chat_articles, name="articles"),
]
