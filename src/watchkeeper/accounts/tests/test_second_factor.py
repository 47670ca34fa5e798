from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse

from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import PASSWORD, make_user, totp_code

pytestmark = pytest.mark.django_db


def log_in(client: Client, email: str, password: str = PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


@pytest.mark.parametrize("role", [Role.AGENT, Role.EXPERT_AGENT, Role.TEAM_LEAD, Role.ADMIN])
@pytest.mark.parametrize("url_name", ["console:home", "admin:index"])
def test_staff_without_second_factor_is_sent_to_enrolment(client: Client, role: Role, url_name: str) -> None:
    user = make_user(role)
    client.force_login(user)
    response = client.get(reverse(url_name))
    if url_name == "admin:index" and role != Role.ADMIN:
        # Not admin staff: Django's admin sends them to its own login whatever their second factor.
        assert response.status_code == 302 and "enrol" not in response.url
        return
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_activate_totp"))
    assert "next=" in response.url


def test_customer_is_refused_the_console(client: Client) -> None:
    client.force_login(make_user(Role.CUSTOMER))
    assert client.get(reverse("console:home")).status_code == 403


def test_enrolling_totp_opens_the_console_and_totp_login_works(client: Client) -> None:
    agent = make_user(Role.AGENT)
    assert log_in(client, agent.email).status_code == 302
    # Enrolment asks for the password again first (allauth reauthentication), then shows the secret.
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 302 and page.url.startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = re.search(r"secret=([A-Z2-7]+)", page.content.decode()) or re.search(
        r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page.content.decode()
    )
    assert secret, "the enrolment page shows the TOTP secret"
    code = totp_code(secret.group(1))
    response = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=agent, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("console:home")).status_code == 200

    # A fresh log-in now asks for a code; a wrong code is refused, the code of the moment accepted.
    client.logout()
    response = log_in(client, agent.email)
    assert response.status_code == 302 and response.url == reverse("mfa_authenticate")
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session
    # The enrolment code was just used; allauth refuses a replay, so wait for the next time step.
    next_step = (int(time.time()) // 30 + 1) * 30
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret.group(1), at=next_step)})
    if response.status_code != 302:  # the next step is outside the tolerance window: use the current one
        time.sleep(max(0.0, next_step - time.time()))
        response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret.group(1))})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == agent.pk
    assert client.get(reverse("console:home")).status_code == 200
