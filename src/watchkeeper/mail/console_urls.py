from __future__ import annotations

from django.urls import path

from watchkeeper.mail import views

app_name = "mail"

urlpatterns = [
    path("", views.held_emails, name="held"),
    path("<int:inbound_id>/", views.decide_held_email, name="decide"),
]
