from __future__ import annotations

from django.urls import path

from watchkeeper.tickets import views

app_name = "tickets"

urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("new/", views.new_ticket, name="new"),
    path("new/suggestions/", views.suggest_articles, name="suggestions"),
    path("<int:ticket_id>/", views.ticket_detail, name="detail"),
    path("<int:ticket_id>/close/", views.close_ticket, name="close"),
    path("<int:ticket_id>/reopen/", views.reopen_ticket, name="reopen"),
    path("<int:ticket_id>/rate/", views.rate_ticket, name="rate"),
    path("files/<int:attachment_id>/", views.download_attachment, name="attachment"),
    path("notifications/", views.notification_centre, name="notifications"),
]
