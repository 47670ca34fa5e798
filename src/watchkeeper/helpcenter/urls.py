from __future__ import annotations

from django.urls import path

from watchkeeper.helpcenter import views

app_name = "helpcenter"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("search/autocomplete/", views.autocomplete, name="autocomplete"),
    path("search/go/<int:log_id>/<int:document_id>/", views.follow_result, name="follow"),
    path("search/history/", views.history, name="history"),
    path("contact/", views.contact, name="contact"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("a/<slug:slug>/", views.article, name="article"),
    path("a/<slug:slug>/feedback/", views.feedback, name="feedback"),
]
