"""The editors' pages inside the agent console, at /<language>/console/help/."""

from __future__ import annotations

from django.urls import path

from watchkeeper.helpcenter import views

app_name = "editor"

urlpatterns = [
    path("", views.editor_articles, name="articles"),
    path("new/", views.editor_new_article, name="new"),
    path("review/", views.editor_review_queue, name="review"),
    path("gaps/", views.editor_content_gaps, name="gaps"),
    # Before the <language> routes, which would otherwise take "attachments" for a language.
    path("a/<slug:slug>/attachments/", views.editor_upload, name="upload"),
    path(
        "a/<slug:slug>/attachments/<int:attachment_id>/delete/",
        views.editor_delete_attachment,
        name="delete_attachment",
    ),
    path("a/<slug:slug>/<str:language>/", views.editor_edit, name="edit"),
    path("a/<slug:slug>/<str:language>/workflow/", views.editor_workflow, name="workflow"),
    path("a/<slug:slug>/<str:language>/diff/", views.editor_diff, name="diff"),
]
