from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from watchkeeper.accounts.models import User
from watchkeeper.accounts.queries import role_of
from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_sign_up_verifies_email_and_remembers_the_language(client: Client) -> None:
    response = client.post(
        "/de/accounts/signup/",
        {"email": "neu@example.test", "password1": "a-long-Passw0rd!", "password2": "a-long-Passw0rd!"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="neu@example.test")
    assert role_of(user) == Role.CUSTOMER
    assert user.preferred_language == "de"
    assert hasattr(user, "customer_profile")
    # The verification mail went through the task queue and is written in the customer's language.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["neu@example.test"]
    assert "E-Mail" in message.subject or "E-Mail" in message.body
    link = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+", message.body)
    assert link, message.body
    path = link.group(0).split("://", 1)[1].split("/", 1)[1]
    assert client.post("/" + path).status_code == 302
    assert user.emailaddress_set.get().verified


def test_unverified_account_cannot_log_in(client: Client) -> None:
    client.post(
        reverse("account_signup"),
        {"email": "late@example.test", "password1": "a-long-Passw0rd!", "password2": "a-long-Passw0rd!"},
    )
    mail.outbox.clear()
    response = client.post(
        reverse("account_login"), {"login": "late@example.test", "password": "a-long-Passw0rd!"}
    )
    assert "_auth_user_id" not in client.session
    assert response.status_code == 302 and "confirm-email" in response.url


def test_language_switch_is_saved_on_the_account(client: Client) -> None:
    user = make_user()
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "ja", "next": "/en/"})
    assert response.status_code == 302 and response.url == "/ja/"
    user.refresh_from_db()
    assert user.preferred_language == "ja"
    # Another device with no cookie: the bare root follows the account's language.
    other = Client()
    other.force_login(user)
    page = other.get("/")
    assert '<html lang="ja"' in page.content.decode()


def test_language_switch_rejects_unknown_language(client: Client) -> None:
    user = make_user()
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "xx", "next": "/en/"})
    user.refresh_from_db()
    assert user.preferred_language == "en"


def test_preferences_form_saves_and_validates(client: Client) -> None:
    user = make_user()
    client.force_login(user)
    bad = client.post(
        reverse("preferences"), {"display_name": "Kim", "preferred_language": "ko", "time_zone": "Mars/Base"}
    )
    assert bad.status_code == 200 and "Mars/Base" in bad.content.decode()
    good = client.post(
        reverse("preferences"), {"display_name": "Kim", "preferred_language": "ko", "time_zone": "Asia/Seoul"}
    )
    assert good.status_code == 302 and good.url == "/ko/account/preferences/"
    user.refresh_from_db()
    assert (user.display_name, user.preferred_language, user.time_zone) == ("Kim", "ko", "Asia/Seoul")
    assert good.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ko"


def test_preferences_need_login(client: Client) -> None:
    response = client.get(reverse("preferences"))
    assert response.status_code == 302 and reverse("account_login") in response.url
