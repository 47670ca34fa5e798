from __future__ import annotations

from datetime import timedelta

from django.core.mail import EmailMultiAlternatives
from django_tasks import task

from watchkeeper.core.registry import periodic


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


@periodic(every=timedelta(minutes=5))
@task()
def retry_received_emails() -> int:
    """Emails stored but not processed (a crash, a database hiccup) are processed again."""
    from watchkeeper.mail.actions import retry_received_emails as retry

    return retry()
