"""Outbound email: every message leaves through the task queue."""

from __future__ import annotations

from django.core.mail import EmailMessage

from watchkeeper.mail.tasks import deliver_email


def queue_email(message: EmailMessage) -> None:
    """Enqueue `message` for delivery by the worker; it is sent even if the web process stops."""
    alternatives = [
        [content, mimetype]
        for content, mimetype in getattr(message, "alternatives", [])
        if isinstance(content, str)
    ]
    deliver_email.enqueue(
        subject=str(message.subject),
        body=str(message.body),
        from_email=message.from_email,
        to=list(message.to),
        cc=list(message.cc),
        reply_to=list(message.reply_to),
        headers=dict(message.extra_headers),
        alternatives=alternatives,
        content_subtype=message.content_subtype,
    )
