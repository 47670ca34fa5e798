from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from django_tasks import default_task_backend, task

from watchkeeper.core.registry import periodic

logger = logging.getLogger(__name__)

# Waits before the 2nd … 6th attempt: a mail server down for a few hours still gets our replies.
EMAIL_RETRY_DELAYS = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
]


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
    attempt: int = 1,
) -> int:
    """Send one message through the configured backend.

    A temporary failure (connection refused, 4xx) enqueues the next attempt after a back-off; a
    recipient the server refuses for good (5xx) is suppressed like a bounce. When the attempts run out
    the task fails and stays in the task table with its traceback for the operator.
    """
    message = EmailMultiAlternatives(subject, body, from_email, to, cc=cc, reply_to=reply_to, headers=headers)
    message.content_subtype = content_subtype
    for content, mimetype in alternatives:
        message.attach_alternative(content, mimetype)
    try:
        return message.send()
    except smtplib.SMTPRecipientsRefused as refused:
        from watchkeeper.mail.actions import suppress_address

        permanent = {address for address, (code, _text) in refused.recipients.items() if code >= 500}
        for address in permanent:
            suppress_address(address, f"refused by the mail server ({refused.recipients[address][0]})")
        if permanent == set(refused.recipients):
            logger.warning("Mail server refused every recipient for good; suppressed %d", len(permanent))
            return 0
        failure: Exception = refused
    except smtplib.SMTPResponseException as error:
        if error.smtp_code >= 500:
            raise  # the server refuses the message itself: retrying would not help
        failure = error
    except (smtplib.SMTPException, OSError) as error:
        failure = error
    if attempt > len(EMAIL_RETRY_DELAYS) or not default_task_backend.supports_defer:
        raise failure
    delay = EMAIL_RETRY_DELAYS[attempt - 1]
    logger.warning(
        "Email delivery attempt %d failed (%s); retrying in %s", attempt, type(failure).__name__, delay
    )
    deliver_email.using(run_after=timezone.now() + delay).enqueue(
        subject=subject,
        body=body,
        from_email=from_email,
        to=to,
        cc=cc,
        reply_to=reply_to,
        headers=headers,
        alternatives=alternatives,
        content_subtype=content_subtype,
        attempt=attempt + 1,
    )
    return 0


@periodic(every=timedelta(minutes=5))
@task()
def retry_received_emails() -> int:
    """Emails stored but not processed (a crash, a database hiccup) are processed again."""
    from watchkeeper.mail.actions import retry_received_emails as retry

    return retry()


@periodic(every=timedelta(minutes=1))
@task()
def poll_imap_mailboxes() -> list[str]:
    """Fetch new mail from the mailboxes in IMAP_MAILBOXES (none set: nothing to do). The summaries
    returned stay in the task table, so the operator sees each mailbox's last result there too."""
    from watchkeeper.mail.imap import poll_mailboxes

    return [result.summary() for result in poll_mailboxes()]
