"""The ticket API with real API keys: what customers and agents can do, and what they are refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from watchkeeper.accounts import actions as account_actions
from watchkeeper.accounts.models import Team, User
from watchkeeper.tickets import actions
from watchkeeper.tickets.actions import NewTicket
from watchkeeper.tickets.models import Message, Status, Ticket, TicketLink
from watchkeeper.tickets.tests.conftest import PNG, upload

pytestmark = pytest.mark.django_db

API = "/api/v1/tickets/"


def key_for(user: User) -> str:
    _token, key = account_actions.create_api_token(user, "tests")
    return key


class Api:
    """A client that sends `Authorization: Bearer <key>` (no session, so no CSRF token either)."""

    def __init__(self, user: User) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {key_for(user)}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, **self.auth)

    def post(self, path: str, data: dict[str, Any]) -> Any:
        return self.client.post(path, json.dumps(data), content_type="application/json", **self.auth)

    def form(self, path: str, data: dict[str, Any]) -> Any:
        return self.client.post(path, data, **self.auth)

    def patch(self, path: str, data: dict[str, Any]) -> Any:
        return self.client.patch(path, json.dumps(data), content_type="application/json", **self.auth)

    def put(self, path: str, data: dict[str, Any]) -> Any:
        return self.client.put(path, json.dumps(data), content_type="application/json", **self.auth)

    def delete(self, path: str) -> Any:
        return self.client.delete(path, **self.auth)


def _ticket(customer: User, team: Team | None = None, **fields: Any) -> Ticket:
    ticket = actions.open_ticket(
        customer,
        NewTicket(subject=fields.pop("subject", "Deposit missing"), body="Nothing arrived.", **fields),
    )
    if team is not None:
        Ticket.objects.filter(pk=ticket.pk).update(team=team)
        ticket.refresh_from_db()
    return ticket


def test_customer_opens_reads_replies_with_a_file_closes_and_rates(customer: User) -> None:
    api = Api(customer)
    created = api.post(
        API,
        {
            "subject": "USDT deposit not credited",
            "body": "Sent 50 USDT two hours ago.",
            "category": "deposit",
            "details": {
                "coin": "USDT",
                "network": "TRC20",
                "txid": "a" * 64,
                "address": "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE",
                "amount": "50",
            },
        },
    )
    assert created.status_code == 201, created.content
    ticket = created.json()
    assert ticket["number"].startswith("WK-")
    assert ticket["channel"] == "api"
    assert ticket["details"]["coin"] == "USDT"
    assert ticket["sla"] is None and ticket["links"] is None  # staff-only parts stay hidden

    listed = api.get(API).json()
    assert listed["count"] == 1 and listed["items"][0]["number"] == ticket["number"]

    reply = api.form(
        f"{API}{ticket['number']}/messages",
        {"body": "Here is the screenshot.", "files": [SimpleUploadedFile("proof.png", PNG)]},
    )
    assert reply.status_code == 201, reply.content
    attachment = reply.json()["attachments"][0]
    assert attachment["content_type"] == "image/png" and attachment["kind"] == "image"
    download = api.get(attachment["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert download["Content-Disposition"].startswith("attachment")

    closed = api.patch(f"{API}{ticket['number']}", {"status": "solved"})
    assert closed.status_code == 200 and closed.json()["status"] == "solved"
    rated = api.put(f"{API}{ticket['number']}/rating", {"score": 5, "comment": "Quick."})
    assert rated.status_code == 200 and rated.json() == {"score": 5, "comment": "Quick."}
    assert api.get(f"{API}{ticket['number']}").json()["rating"]["score"] == 5


def test_errors_say_what_was_wrong(customer: User) -> None:
    api = Api(customer)
    missing = api.post(API, {"subject": "Deposit", "body": "x", "category": "deposit", "details": {}})
    assert missing.status_code == 400
    assert missing.json()["error"] == "bad_request"
    assert "txid" in missing.json()["detail"]
    schema = api.post(API, {"body": "no subject"})
    assert schema.status_code == 422 and schema.json()["errors"]
    ticket = _ticket(customer)
    before = ticket.messages.count()
    refused = api.form(
        f"{API}{ticket.reference}/messages",
        {"body": "a program", "files": [SimpleUploadedFile("run.exe", b"MZ\x90\x00" * 10)]},
    )
    assert refused.status_code == 400
    assert "run.exe cannot be attached" in refused.json()["detail"]
    assert ticket.messages.count() == before  # nothing half-written


def test_customers_get_404_for_other_customers_tickets_messages_and_attachments(
    customer: User, other_customer: User
) -> None:
    ticket = _ticket(customer)
    message = actions.add_message(ticket, customer, "screenshot", uploads=[upload("a.png", PNG)])
    attachment_id = message.attachments.get().pk
    mallory = Api(other_customer)
    for path in (
        f"{API}{ticket.reference}",
        f"{API}{ticket.pk}",
        f"{API}{ticket.reference}/messages",
        f"{API}attachments/{attachment_id}",
    ):
        response = mallory.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found"
    assert mallory.form(f"{API}{ticket.reference}/messages", {"body": "hi"}).status_code == 404
    assert mallory.patch(f"{API}{ticket.reference}", {"status": "solved"}).status_code == 404
    assert mallory.get(API).json()["count"] == 0


def test_customers_never_see_internal_notes_nor_write_them(
    customer: User, agent: User, deposits_team: Team
) -> None:
    ticket = _ticket(customer, deposits_team)
    note = actions.add_message(ticket, agent, "Customer looks like a scammer", kind=Message.Kind.NOTE)
    note_file = actions.add_message(
        ticket, agent, "log", kind=Message.Kind.NOTE, uploads=[upload("l.png", PNG)]
    )
    api = Api(customer)
    bodies = [item["body"] for item in api.get(f"{API}{ticket.reference}/messages").json()["items"]]
    assert note.body not in bodies
    assert api.get(f"{API}attachments/{note_file.attachments.get().pk}").status_code == 404
    assert api.form(f"{API}{ticket.reference}/messages", {"body": "x", "kind": "note"}).status_code == 403
    assert api.patch(f"{API}{ticket.reference}", {"priority": "urgent"}).status_code == 403
    assert Api(agent).get(f"{API}{ticket.reference}/messages").json()["count"] == 4  # ack event + notes


def test_agents_see_their_teams_tickets_only_unless_their_role_allows(
    customer: User, agent: User, outside_agent: User, lead: User, deposits_team: Team
) -> None:
    ticket = _ticket(customer, deposits_team)
    assert Api(agent).get(f"{API}{ticket.reference}").status_code == 200
    assert Api(outside_agent).get(f"{API}{ticket.reference}").status_code == 404
    assert Api(outside_agent).get(API).json()["count"] == 0
    staff_view = Api(lead).get(f"{API}{ticket.reference}").json()
    assert staff_view["sla"] is not None and staff_view["links"] == []


def test_agent_updates_replies_links_and_merges(
    customer: User, other_customer: User, agent: User, deposits_team: Team
) -> None:
    api = Api(agent)
    first = _ticket(customer, deposits_team)
    second = _ticket(customer, deposits_team, subject="Deposit missing again")
    outage = _ticket(other_customer, deposits_team, subject="TRC20 deposits delayed")

    changed = api.patch(
        f"{API}{first.reference}",
        {"priority": "urgent", "assignee_id": agent.pk, "team": "deposits", "tags": ["trc20", "Delay"]},
    )
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert body["priority"] == "urgent" and body["assignee"]["id"] == agent.pk
    assert body["tags"] == ["delay", "trc20"]
    assert api.patch(f"{API}{first.reference}", {"assignee_id": None}).json()["assignee"] is None
    assert api.patch(f"{API}{first.reference}", {"team": "nope"}).status_code == 400

    reply = api.form(f"{API}{first.reference}/messages", {"body": "We are checking.", "status": "pending"})
    assert reply.status_code == 201 and reply.json()["from_staff"] is True
    assert Ticket.objects.get(pk=first.pk).status == Status.PENDING

    link = api.post(f"{API}{first.reference}/links", {"ticket": outage.reference, "kind": "child"})
    assert link.status_code == 201 and link.json()["kind"] == "caused_by"
    assert api.get(f"{API}{outage.reference}").json()["links"][0] == {
        "id": link.json()["id"],
        "kind": "causes",
        "ticket": first.reference,
    }
    assert api.post(f"{API}{outage.reference}/links", {"ticket": first.reference}).status_code == 400
    assert api.delete(f"{API}{first.reference}/links/{link.json()['id']}").status_code == 204
    assert not TicketLink.objects.exists()
    # A customer's view never mentions links, even of their own tickets.
    assert "links" not in json.dumps(Api(customer).get(f"{API}{first.reference}").json()["links"] or {})

    refused = api.post(f"{API}{first.reference}/merge", {"into": outage.reference})
    assert refused.status_code == 400 and "same customer" in refused.json()["detail"]
    merged = api.post(f"{API}{second.reference}/merge", {"into": first.reference})
    assert merged.status_code == 200 and merged.json()["number"] == first.reference
    assert Ticket.objects.get(pk=second.pk).merged_into_id == first.pk


def test_agents_open_tickets_for_customers_from_a_phone_call(agent: User) -> None:
    created = Api(agent).post(
        API,
        {
            "subject": "Caller locked out",
            "body": "Called from +44; lost 2FA device.",
            "category": "security",
            "requester_email": "caller@example.test",
            "channel": "phone",
            "priority": "high",
        },
    )
    assert created.status_code == 201, created.content
    ticket = Ticket.objects.get(pk=created.json()["id"])
    assert ticket.channel == "phone" and ticket.priority == 3
    assert ticket.requester.email == "caller@example.test"
    assert Api(agent).post(API, {"subject": "x", "body": "y"}).status_code == 400


def test_keys_revoked_expired_or_of_staff_without_second_factor_are_refused(customer: User) -> None:
    from watchkeeper.accounts.roles import Role
    from watchkeeper.accounts.tests.factories import make_user

    token, key = account_actions.create_api_token(customer, "bot")
    client = Client()
    assert client.get(API, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    account_actions.revoke_api_token(token)
    refused = client.get(API, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert refused.status_code == 401 and refused.json()["error"] == "not_authenticated"
    _token, expiring = account_actions.create_api_token(customer, "old", expires_in_days=1)
    type(_token).objects.filter(pk=_token.pk).update(expires_at="2000-01-01T00:00:00Z")
    assert client.get(API, HTTP_AUTHORIZATION=f"Bearer {expiring}").status_code == 401
    agent_without_totp = make_user(Role.AGENT)
    _token, staff_key = account_actions.create_api_token(agent_without_totp, "x")
    assert client.get(API, HTTP_AUTHORIZATION=f"Bearer {staff_key}").status_code == 401
    assert client.get(API, HTTP_AUTHORIZATION="Bearer wk_guess").status_code == 401


def test_session_writes_need_the_csrf_token(customer: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)
    assert client.get(API).status_code == 200
    response = client.post(API, json.dumps({"subject": "s", "body": "b"}), content_type="application/json")
    assert response.status_code == 403
    assert not Ticket.objects.exists()
