from __future__ import annotations

from django.urls import path

from watchkeeper.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("new/", views.new_endpoint, name="new"),
    path("<int:endpoint_id>/", views.endpoint_detail, name="detail"),
    path("<int:endpoint_id>/test/", views.test_endpoint, name="test"),
    path("<int:endpoint_id>/secret/", views.rotate_secret, name="rotate"),
    path("<int:endpoint_id>/delete/", views.delete_endpoint, name="delete"),
    path("deliveries/<int:delivery_id>/retry/", views.retry_delivery, name="retry"),
]
