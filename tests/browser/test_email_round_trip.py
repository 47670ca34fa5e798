"""An email conversation over real SMTP with the agent in headless Chromium: a customer's email (smtplib →
the server behind `watchkeeper smtpd`) opens a ticket, and the acknowledgement leaves through Django's SMTP
backend to a local sink; an agent opens the ticket from the inbox and answers in the reply form; the answer
leaves by SMTP, threaded; the customer's mail client replies to it (In-Reply-To, no ticket number in the
subject) and the reply lands on the same ticket, announced live on the agent's page; an out-of-office reply
opens nothing and gets no answer. Screenshots of every step are kept in test-output/browser/email_round_trip/.

Mail leaves synchronously here: the suite's tasks run at enqueue time (the root conftest), in the thread
that enqueues them, so the acknowledgement is sent from the inbound server's worker thread and the reply from
the live server's request thread, both through the SMTP backend configured below."""

from __future__ import annotations

import re
import smtplib
import socket
import threading
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller

from watchkeeper.mail.tests.test_parsing import emails_dir

pytestmark = pytest.mark.browser

# A real plain-text email from the shared corpus opens the ticket; the out-of-office reply is Chatwoot's
# (it says so in an X-Autoreply header).
CUSTOMER_EMAIL = Path("chatwoot") / "eml" / "only_text.eml"
AUTO_REPLY = Path("chatwoot") / "eml" / "auto_reply.eml"
REPLY = "We found your deposit: it was credited to your account at 14:02 UTC."
ANSWER = "Thank you, I can see it in my account now."
NEWS = "Something new arrived on this ticket"
WAIT_SECONDS = 15


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Sink:
    """aiosmtpd handler of a local SMTP server that keeps what it receives: where our outbound mail lands."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        message = cast(EmailMessage, message_from_bytes(raw, policy=policy.default))
        with self.arrived:
            self.messages.append(message)
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, wanted: Callable[[EmailMessage], bool]) -> EmailMessage:
        """The first message received that is `wanted`, waiting for it if it has not arrived yet."""

        def found() -> EmailMessage | None:
            return next((message for message in self.messages if wanted(message)), None)

        with self.arrived:
            message = self.arrived.wait_for(found, WAIT_SECONDS)
            assert message is not None, [str(item["Subject"]) for item in self.messages]
            return message


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage), message
    return str(body.get_content())


def one_id(header: object) -> str:
    """A Message-ID header as one token (a long one may arrive folded)."""
    return "".join(str(header).split())


@pytest.fixture
def mail_servers(settings: Any, tmp_path: Path) -> Iterator[tuple[Sink, int]]:
    """The SMTP sink, with Django's SMTP backend pointed at it, and the real inbound server on a free
    loopback port; both are stopped whatever happens in the test."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"  # the raw inbound emails and their attachments
    sink = Sink()
    sink_server = Controller(sink, hostname="127.0.0.1", port=_free_port())
    sink_server.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink_server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = WAIT_SECONDS
        from watchkeeper.mail.smtp import build_server

        inbound_port = _free_port()
        inbound = build_server("127.0.0.1", inbound_port)
        inbound.start()
        try:
            yield sink, inbound_port
        finally:
            inbound.stop()
    finally:
        sink_server.stop()


def send(port: int, sender: str, recipient: str, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=WAIT_SECONDS) as smtp:
        refused = smtp.sendmail(sender, [recipient], raw)
    assert not refused, refused


def _ticket_opened() -> dict[str, Any]:
    from watchkeeper.tickets.models import Message, Ticket

    ticket = Ticket.objects.select_related("requester").get()
    first = ticket.messages.get(kind=Message.Kind.PUBLIC)
    return {
        "pk": ticket.pk,
        "reference": ticket.reference,
        "channel": ticket.channel,
        "requester": ticket.requester.email,
        "first_message_id": first.email_message_id,
    }


def _agent() -> Any:
    from watchkeeper.accounts.roles import Role
    from watchkeeper.accounts.tests.factories import enrol_totp, make_user

    return enrol_totp(make_user(Role.AGENT, email="ines@exchange.test", display_name="Inês"))


def _after_the_answers(ticket_pk: int, answer_id: str, auto_reply_id: str) -> dict[str, Any]:
    from watchkeeper.mail.models import InboundEmail
    from watchkeeper.tickets.models import Message, Ticket

    public = Message.objects.filter(ticket_id=ticket_pk, kind=Message.Kind.PUBLIC)
    latest = public.order_by("created_at", "pk").last()
    assert latest is not None
    return {
        "tickets": list(Ticket.objects.values_list("pk", flat=True)),
        "last_body": latest.body,
        "last_message_id": latest.email_message_id,
        "answer": InboundEmail.objects.values("status", "ticket_id").get(message_id=answer_id),
        "auto_reply": InboundEmail.objects.values("status", "ticket_id").get(message_id=auto_reply_id),
    }


def test_email_ticket_answered_in_the_browser_and_threaded_back(
    mail_servers: tuple[Sink, int],
    live_url: str,
    browser_page: Any,
    test_output: Path,
    settings: Any,
    shot: Callable[[Any, Path, str], None],
    in_thread: Callable[[Callable[[], Any]], Any],
    staff_session: Callable[[Any], str],
) -> None:
    from playwright.sync_api import expect

    sink, inbound_port = mail_servers
    support = settings.DEFAULT_FROM_EMAIL
    page = browser_page
    folder = test_output / "browser" / "email_round_trip"
    folder.mkdir(parents=True, exist_ok=True)

    # 1. The customer's email arrives by SMTP and opens a ticket; the acknowledgement goes out by SMTP.
    raw = (emails_dir() / CUSTOMER_EMAIL).read_bytes()
    original = cast(EmailMessage, message_from_bytes(raw, policy=policy.default))
    customer = parseaddr(str(original["From"]))[1]
    subject = str(original["Subject"])
    send(inbound_port, customer, support, raw)
    ticket = in_thread(_ticket_opened)
    reference = ticket["reference"]
    assert ticket["channel"] == "email" and ticket["requester"] == customer
    assert ticket["first_message_id"] == one_id(original["Message-ID"]).strip("<>")
    acknowledgement = sink.wait_for(lambda message: reference in str(message["Subject"]))
    assert parseaddr(str(acknowledgement["To"]))[1] == customer
    assert acknowledgement["Auto-Submitted"] == "auto-replied"  # other robots must not answer it

    # 2. An agent (TOTP enrolled) opens the console's inbox and clicks through to the ticket.
    agent = in_thread(_agent)
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": staff_session(agent), "url": live_url}]
    )
    page.goto(f"{live_url}/en/console/tickets/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tickets")
    row = page.locator("table.inbox-table tbody tr").filter(has_text=reference)
    expect(row).to_contain_text(subject)
    expect(row).to_contain_text(customer)
    shot(page, folder, "01-inbox")
    row.get_by_role("link", name=subject).click()
    page.wait_for_url(re.compile(rf".*/en/console/tickets/{ticket['pk']}/$"))
    expect(page.locator("h1")).to_contain_text(subject)
    expect(page.locator(".thread-message.from-customer")).to_contain_text("text only mail")
    cookies = {cookie["name"] for cookie in page.context.cookies()}
    assert {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME} <= cookies, cookies
    shot(page, folder, "02-ticket")

    # 3. A public reply typed in the reply form; Django's CSRF check accepts the browser's form post.
    page.locator("#reply-body").fill(REPLY)
    page.get_by_label("Reply to the customer").check()
    shot(page, folder, "03-reply-typed")
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        page.get_by_role("button", name="Send", exact=True).click()
    assert posted.value.status == 302, posted.value.status  # a refused CSRF token answers 403
    page.wait_for_url(re.compile(rf".*/en/console/tickets/{ticket['pk']}/$"))
    expect(page.get_by_text("Reply sent.")).to_be_visible()
    expect(page.locator(".thread-message.from-staff").last).to_contain_text(REPLY)
    shot(page, folder, "04-replied")

    # 4. The reply left by SMTP, addressed and threaded so the customer's mail client keeps one thread.
    reply = sink.wait_for(lambda message: REPLY in text_of(message))
    assert parseaddr(str(reply["To"]))[1] == customer
    assert f"[{reference}]" in str(reply["Subject"])
    reply_id = one_id(reply["Message-ID"])
    assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", reply_id), reply_id
    references = str(reply["References"]).split()
    assert one_id(original["Message-ID"]) in references, references
    assert one_id(reply["In-Reply-To"]) in references
    assert reply["Auto-Submitted"] is None  # a person wrote this one

    # 5. The customer's mail client answers the reply: In-Reply-To its Message-ID, the subject without the
    #    ticket number, our text quoted below. Then an out-of-office notice arrives.
    # The page follows the ticket's events once the server has replayed the current event id to it.
    page.wait_for_function(
        "group => window.Watchkeeper.realtime().lastId(group) > 0", arg=f"ticket.{ticket['pk']}"
    )
    answer = EmailMessage()
    answer["From"] = str(original["From"])
    answer["To"] = support
    answer["Subject"] = f"Re: {subject}"
    answer["Date"] = formatdate()
    answer["Message-ID"] = make_msgid(domain=customer.rpartition("@")[2])
    answer["In-Reply-To"] = reply_id
    answer["References"] = " ".join([*references, reply_id])
    quoted = "\n".join(f"> {line}" for line in text_of(reply).splitlines())
    answer.set_content(f"{ANSWER}\n\nOn {reply['Date']}, {reply['From']} wrote:\n{quoted}\n")
    assert reference not in str(answer["Subject"])
    send(inbound_port, customer, support, answer.as_bytes())
    auto_raw = (emails_dir() / AUTO_REPLY).read_bytes()
    auto_reply = cast(EmailMessage, message_from_bytes(auto_raw, policy=policy.default))
    auto_sender = parseaddr(str(auto_reply["From"]))[1]
    send(inbound_port, auto_sender, support, auto_raw)

    # 6. One ticket still; the customer's answer, without the quoted history, is its last public message;
    #    the out-of-office notice was ignored and not answered.
    answer_id = one_id(answer["Message-ID"]).strip("<>")
    auto_reply_id = one_id(auto_reply["Message-ID"]).strip("<>")
    after = in_thread(lambda: _after_the_answers(ticket["pk"], answer_id, auto_reply_id))
    assert after["tickets"] == [ticket["pk"]]
    assert after["last_body"] == ANSWER
    assert after["last_message_id"] == answer_id
    assert after["answer"] == {"status": "appended", "ticket_id": ticket["pk"]}
    assert after["auto_reply"]["status"] == "ignored"
    assert not any(auto_sender.lower() in str(message["To"]).lower() for message in sink.messages), (
        "an auto-reply was answered"
    )

    # 7. The agent's page says something new arrived; after a reload the answer is in the thread.
    expect(page.locator("#collision-warning")).to_contain_text(NEWS)
    shot(page, folder, "05-news-arrived")
    page.reload()
    latest = page.locator(".thread-message.from-customer").last
    expect(latest).to_contain_text(ANSWER)
    expect(latest.locator(".message-body")).not_to_contain_text(REPLY)  # the quote is folded away
    expect(page.locator("#collision-warning")).to_be_hidden()
    shot(page, folder, "06-answer-in-thread")
