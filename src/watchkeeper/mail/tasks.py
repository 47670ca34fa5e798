from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django_tasks import task


@task()
def deliver_email(
    *,
    subject: str,
    body: str,
    from_email: str,
    to: list[str],
    cc: list[str],
    reply_to: list[str],
    headers: dict[str, str],
    alternatives: list[list[str]],
    content_subtype: str,
) -> int:
    """Send one message through the configured backend; an SMTP failure fails the task, which stays in
    the task table with its traceback for the operator."""
    message = EmailMultiAlternatives(subject, body, from_email, to, cc=cc, reply_to=reply_to, headers=headers)
    message.content_subtype = content_subtype
    for content, mimetype in alternatives:
        message.attach_alternative(content, mimetype)
    return message.send()
