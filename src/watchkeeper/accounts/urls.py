from __future__ import annotations

from django.urls import path

from watchkeeper.accounts import views

urlpatterns = [
    path("preferences/", views.preferences, name="preferences"),
    path("api-tokens/", views.api_tokens, name="api_tokens"),
    path("api-tokens/<int:token_id>/revoke/", views.revoke_api_token, name="revoke_api_token"),
]
