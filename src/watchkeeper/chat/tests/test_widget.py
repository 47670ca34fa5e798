"""The embeddable widget: the loader script, the frame's page and who it lets in — a customer the
exchange's signed token vouches for (a forged one is refused), a guest when the operator allows it —
and where a guest's transcript goes."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import jwt
import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from watchkeeper.accounts.models import CustomerProfile, User
from watchkeeper.accounts.queries import is_guest, reply_address
from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import make_user
from watchkeeper.chat import actions
from watchkeeper.chat.checks import identity_secrets_are_long, widget_origins_are_origins
from watchkeeper.chat.tests.conftest import MONDAY_10

pytestmark = pytest.mark.django_db

SECRET = "exchange-shared-secret-0123456789abcdef"
EXCHANGE = "https://www.example-exchange.com"


@pytest.fixture(autouse=True)
def widget_settings(settings: Any) -> None:
    settings.CHAT_IDENTITY_SECRETS = [SECRET]
    settings.CHAT_WIDGET_ORIGINS = [EXCHANGE]
    settings.CHAT_ALLOW_GUESTS = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def token(secret: str = SECRET, **claims: Any) -> str:
    return jwt.encode(
        {"sub": "EX-42", "email": "holder@example.com", "exp": int(time.time()) + 300, **claims},
        secret,
        algorithm="HS256",
    )


def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def identify(client: Client, value: str) -> Any:
    page = client.get(reverse("chat:embed"))
    csrf = page.cookies["csrftoken"].value
    return client.post(reverse("chat:identify"), {"token": value}, HTTP_X_CSRFTOKEN=csrf)


def test_the_loader_is_javascript_that_knows_every_language_and_is_cached() -> None:
    response = Client().get("/chat/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "max-age=300" in response["Cache-Control"]
    body = response.content.decode()
    assert "{{" not in body
    found = re.search(r"var config = (\{.*\});", body)
    assert found is not None
    config = json.loads(found.group(1))
    assert len(config["paths"]) == len(settings.LANGUAGES)
    assert config["paths"]["ja"] == "/ja/help/chat/embed/"
    # The button is labelled in the page's language before the frame loads.
    assert config["labels"]["ja"]["open"] != config["labels"]["en"]["open"] == "Chat with us"


def test_only_the_exchanges_pages_may_frame_the_chat() -> None:
    response = Client().get(reverse("chat:embed"))
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == f"frame-ancestors 'self' {EXCHANGE}"
    assert "X-Frame-Options" not in response  # the policy above replaces DENY here, and only here
    assert Client().get(reverse("chat:start"))["X-Frame-Options"] == "DENY"


def test_a_stranger_sees_no_chat_but_a_way_to_sign_in() -> None:
    page = Client().get(reverse("chat:embed")).content.decode()
    assert 'id="customer-chat"' not in page
    assert "Checking who you are" in page
    assert 'action="/en/help/chat/embed/guest/"' not in page  # guests are off


def test_a_valid_token_signs_the_customer_in_and_the_frame_shows_their_chat() -> None:
    client = csrf_client()
    answer = identify(client, token(name="Holder"))
    assert answer.status_code == 200 and answer.json() == {"changed": True}
    customer = User.objects.get(email="holder@example.com")
    assert CustomerProfile.objects.get(user=customer).exchange_account_id == "EX-42"
    page = client.get(reverse("chat:embed")).content.decode()
    assert 'id="customer-chat"' in page
    # The same customer again: nothing to reload.
    assert identify(client, token()).json() == {"changed": False}


@pytest.mark.parametrize(
    "forged",
    [
        lambda: token(secret="someone-elses-secret-0123456789abcdef"),
        lambda: token() + "x",
        lambda: token(exp=int(time.time()) - 3600),
        lambda: jwt.encode({"sub": "EX-42", "exp": int(time.time()) + 60}, None, algorithm="none"),
    ],
    ids=["wrong-secret", "tampered", "expired", "unsigned"],
)
def test_a_forged_identity_is_refused_and_signs_nobody_in(forged: Any) -> None:
    client = csrf_client()
    answer = identify(client, forged())
    assert answer.status_code == 403
    assert answer.json()["error"]  # says why, for the exchange's developers
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email="holder@example.com").exists()
    assert 'id="customer-chat"' not in client.get(reverse("chat:embed")).content.decode()


def test_identify_needs_the_csrf_token() -> None:
    client = csrf_client()
    client.get(reverse("chat:embed"))
    assert client.post(reverse("chat:identify"), {"token": token()}).status_code == 403
    assert not User.objects.filter(email="holder@example.com").exists()


def test_identify_is_rate_limited_per_address(settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "chat_identify": "2/m/ip"}
    client = csrf_client()
    statuses = [identify(client, "forged").status_code for _attempt in range(3)]
    assert statuses == [403, 403, 429]


def test_a_signed_in_agent_is_not_swapped_for_a_customer() -> None:
    agent = make_user(Role.AGENT)
    client = Client()
    client.force_login(agent)
    answer = client.post(reverse("chat:identify"), {"token": token()})
    assert answer.status_code == 409
    assert client.session["_auth_user_id"] == str(agent.pk)


def test_guests_are_refused_unless_the_operator_allows_them() -> None:
    response = Client().post(reverse("chat:guest"), {"email": "visitor@example.org"})
    assert response.status_code == 403
    assert not User.objects.filter(customer_profile__contact_email="visitor@example.org").exists()


def test_a_guest_gets_an_account_of_their_own_whatever_address_they_type(settings: Any) -> None:
    settings.CHAT_ALLOW_GUESTS = True
    victim = make_user(Role.CUSTOMER, email="victim@example.com")
    client = Client()
    assert 'action="/en/help/chat/embed/guest/"' in client.get(reverse("chat:embed")).content.decode()
    response = client.post(reverse("chat:guest"), {"name": "Visitor", "email": "Victim@Example.com"})
    assert response.status_code == 302 and response["Location"] == reverse("chat:embed")
    guest = User.objects.get(pk=client.session["_auth_user_id"])
    assert guest.pk != victim.pk and is_guest(guest) and not is_guest(victim)
    assert reply_address(guest) == "victim@example.com"
    assert not guest.has_usable_password()
    assert 'id="customer-chat"' in client.get(reverse("chat:embed")).content.decode()


def test_the_guest_form_names_what_is_wrong(settings: Any) -> None:
    settings.CHAT_ALLOW_GUESTS = True
    response = Client().post(reverse("chat:guest"), {"name": "Visitor", "email": "not-an-address"})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert not User.objects.filter(display_name="Visitor").exists()


def test_guest_chats_are_rate_limited(settings: Any) -> None:
    settings.CHAT_ALLOW_GUESTS = True
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "chat_guest": "1/h/ip"}
    assert Client().post(reverse("chat:guest"), {"email": "one@example.org"}).status_code == 302
    refused = Client().post(reverse("chat:guest"), {"email": "two@example.org"})
    assert refused.status_code == 400 and "Too many chats" in refused.content.decode()


def test_a_guests_transcript_goes_to_the_address_they_typed(
    settings: Any, support: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CHAT_ALLOW_GUESTS = True
    client = Client()
    client.post(reverse("chat:guest"), {"email": "visitor@example.org"})
    guest = User.objects.get(pk=client.session["_auth_user_id"])
    session = actions.start_chat(guest, "How do I deposit?", client_id="g-1", now=MONDAY_10).session
    actions.end_chat(session, None, now=MONDAY_10)
    session.refresh_from_db()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.email_transcript(session, now=MONDAY_10)
    assert [message.to for message in mail.outbox] == [["visitor@example.org"]]


def test_short_secrets_and_bad_origins_fail_the_system_check(settings: Any) -> None:
    settings.CHAT_IDENTITY_SECRETS = ["short"]
    settings.CHAT_WIDGET_ORIGINS = ["https://ok.example.com", "https://x.example.com/path", "example.com"]
    assert [check.id for check in identity_secrets_are_long()] == ["chat.E001"]
    assert [check.id for check in widget_origins_are_origins()] == ["chat.E002", "chat.E002"]


def test_the_exchange_signing_out_ends_a_token_sign_in_but_not_a_direct_one() -> None:
    client = csrf_client()
    identify(client, token())
    csrf = client.cookies["csrftoken"].value
    assert client.post(reverse("chat:forget"), HTTP_X_CSRFTOKEN=csrf).json() == {"changed": True}
    assert "_auth_user_id" not in client.session
    # Someone who signed in to Watchkeeper itself is not signed out by the exchange's page.
    direct = Client()
    direct.force_login(make_user(Role.CUSTOMER))
    assert direct.post(reverse("chat:forget")).json() == {"changed": False}
    assert "_auth_user_id" in direct.session


def test_agents_see_that_a_guests_address_is_unverified(settings: Any, support: Any) -> None:
    from watchkeeper.accounts.tests.factories import enrol_totp

    settings.CHAT_ALLOW_GUESTS = True
    visitor = Client()
    visitor.post(reverse("chat:guest"), {"name": "Visitor", "email": "visitor@example.org"})
    guest = User.objects.get(pk=visitor.session["_auth_user_id"])
    session = actions.start_chat(guest, "talk to a human", client_id="g-2", now=MONDAY_10).session
    lead = enrol_totp(make_user(Role.TEAM_LEAD))
    agent = Client()
    agent.force_login(lead)
    page = agent.get(reverse("inbox:ticket", args=[session.ticket_id])).content.decode()
    assert "visitor@example.org" in page
    assert "Guest: address not verified" in page
    assert "guest.invalid" not in page
