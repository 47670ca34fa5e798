from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from watchkeeper.accounts.actions import expire_stale_presence, set_presence
from watchkeeper.accounts.models import AgentProfile, Presence
from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import make_user

pytestmark = pytest.mark.django_db


def enrol(user):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(user, generate_totp_secret())
    return user


def test_presence_changes_through_the_console(client: Client) -> None:
    agent = enrol(make_user(Role.AGENT))
    client.force_login(agent)
    response = client.post(reverse("console:presence"), {"presence": "online"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'value="online" selected' in response.content.decode()
    assert AgentProfile.objects.get(user=agent).presence == Presence.ONLINE
    assert client.post(reverse("console:presence"), {"presence": "asleep"}).status_code == 400


def test_customers_cannot_set_presence(client: Client) -> None:
    client.force_login(make_user(Role.CUSTOMER))
    assert client.post(reverse("console:presence"), {"presence": "online"}).status_code == 403


def test_silent_agents_are_marked_offline() -> None:
    agent = make_user(Role.AGENT)
    now = timezone.now()
    set_presence(agent, Presence.ONLINE, now=now - timedelta(minutes=30))
    fresh = make_user(Role.AGENT)
    set_presence(fresh, Presence.ONLINE, now=now)
    assert expire_stale_presence(now=now) == 1
    assert AgentProfile.objects.get(user=agent).presence == Presence.OFFLINE
    assert AgentProfile.objects.get(user=fresh).presence == Presence.ONLINE
