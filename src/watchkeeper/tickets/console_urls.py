from __future__ import annotations

from django.urls import path

from watchkeeper.tickets import views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox, name="list"),
    path("<int:ticket_id>/", views.agent_ticket, name="ticket"),
]
