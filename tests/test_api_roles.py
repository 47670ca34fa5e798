"""Every endpoint of /api/v1, called by every role, gets the answer that role should get.

The table below is checked against the OpenAPI schema first: an endpoint added without a row here fails
this test, so no endpoint ships without someone deciding who may call it. Each call runs in a savepoint
that is rolled back, so every role meets the same world.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from watchkeeper.accounts.models import AgentProfile, Team, User
from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import enrol_totp, make_user
from watchkeeper.api.api import api
from watchkeeper.helpcenter import actions as help_actions
from watchkeeper.helpcenter.models import Category, Section
from watchkeeper.tickets import actions as ticket_actions
from watchkeeper.tickets.actions import NewTicket, Upload
from watchkeeper.tickets.models import Status

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ROLES = ["anonymous", "owner", "other_customer", "agent", "outside_agent", "team_lead", "admin", "reviewer"]
# "ok": any 2xx. "allowed": past authentication and authorisation (2xx, or a 4xx about the request's
# content or the article's state, never 401/403/404).
OK, ALLOWED = "ok", "allowed"


def everyone(expected: Any) -> dict[str, Any]:
    return dict.fromkeys(ROLES, expected)


def logged_in(expected: Any) -> dict[str, Any]:
    return {**everyone(expected), "anonymous": 401}


# Who may see the owner's ticket: the owner, agents of its team, leads and admins.
SEES_TICKET = {
    "anonymous": 401,
    "owner": 200,
    "other_customer": 404,
    "agent": 200,
    "outside_agent": 404,
    "team_lead": 200,
    "admin": 200,
    "reviewer": 404,  # no ticket permission: a customer as far as tickets go
}
STAFF_ONLY = {
    "anonymous": 401,
    "owner": 403,
    "other_customer": 403,
    "agent": OK,
    "outside_agent": 404,  # staff, but the ticket is not theirs to see
    "team_lead": OK,
    "admin": OK,
    "reviewer": 403,
}
EDITORS = {**logged_in(ALLOWED), "owner": 403, "other_customer": 403}
REVIEWERS = {**EDITORS, "agent": 403, "outside_agent": 403}


@dataclass
class Call:
    method: str
    path: str  # with {placeholders} filled from the world
    body: dict[str, Any] | None = None
    multipart: bool = False


EXPECTED: dict[tuple[str, str], tuple[Call, dict[str, Any]]] = {
    ("GET", "/api/v1/health"): (Call("get", "/api/v1/health"), everyone(200)),
    ("GET", "/api/v1/accounts/me"): (Call("get", "/api/v1/accounts/me"), logged_in(200)),
    ("GET", "/api/v1/help/categories"): (Call("get", "/api/v1/help/categories"), everyone(200)),
    ("GET", "/api/v1/help/articles"): (Call("get", "/api/v1/help/articles"), everyone(200)),
    ("GET", "/api/v1/help/articles/{slug}"): (Call("get", "/api/v1/help/articles/{article}"), everyone(200)),
    ("POST", "/api/v1/help/articles/{slug}/feedback"): (
        Call("post", "/api/v1/help/articles/{article}/feedback", {"helpful": True}),
        everyone(OK),
    ),
    ("GET", "/api/v1/search/"): (Call("get", "/api/v1/search/?q=deposit"), everyone(200)),
    ("GET", "/api/v1/search/autocomplete"): (Call("get", "/api/v1/search/autocomplete?q=dep"), everyone(200)),
    ("POST", "/api/v1/answers/match"): (
        Call("post", "/api/v1/answers/match", {"question": "where is my deposit"}),
        everyone(200),
    ),
    ("GET", "/api/v1/help/editor/articles"): (Call("get", "/api/v1/help/editor/articles"), EDITORS),
    ("POST", "/api/v1/help/editor/articles"): (
        Call(
            "post",
            "/api/v1/help/editor/articles",
            {"slug": "new-one", "category": "deposits", "section": "crypto", "title": "New", "body": "Text"},
        ),
        EDITORS,
    ),
    ("GET", "/api/v1/help/editor/articles/{slug}/{language}"): (
        Call("get", "/api/v1/help/editor/articles/{draft}/en"),
        EDITORS,
    ),
    ("PUT", "/api/v1/help/editor/articles/{slug}/{language}"): (
        Call("put", "/api/v1/help/editor/articles/{draft}/en", {"title": "T", "body": "B"}),
        EDITORS,
    ),
    ("POST", "/api/v1/help/editor/articles/{slug}/{language}/submit"): (
        Call("post", "/api/v1/help/editor/articles/{draft}/en/submit", {}),
        EDITORS,
    ),
    ("POST", "/api/v1/help/editor/articles/{slug}/{language}/approve"): (
        Call("post", "/api/v1/help/editor/articles/{in_review}/en/approve", {}),
        REVIEWERS,
    ),
    ("POST", "/api/v1/help/editor/articles/{slug}/{language}/send-back"): (
        Call("post", "/api/v1/help/editor/articles/{in_review}/en/send-back", {"comment": "More detail"}),
        REVIEWERS,
    ),
    ("POST", "/api/v1/help/editor/articles/{slug}/{language}/archive"): (
        Call("post", "/api/v1/help/editor/articles/{article}/en/archive", {}),
        REVIEWERS,
    ),
    ("POST", "/api/v1/help/editor/articles/{slug}/{language}/restore"): (
        Call("post", "/api/v1/help/editor/articles/{article}/en/restore", {}),
        REVIEWERS,
    ),
    ("GET", "/api/v1/help/editor/articles/{slug}/{language}/diff"): (
        Call("get", "/api/v1/help/editor/articles/{draft}/en/diff?old=1&new=1"),
        EDITORS,
    ),
    ("GET", "/api/v1/tickets/"): (Call("get", "/api/v1/tickets/"), logged_in(200)),
    ("POST", "/api/v1/tickets/"): (
        Call("post", "/api/v1/tickets/", {"subject": "Help", "body": "My deposit"}),
        # Customers open their own; staff must name the customer (400 says so).
        {
            **logged_in(201),
            "agent": 400,
            "outside_agent": 400,
            "team_lead": 400,
            "admin": 400,
        },
    ),
    ("GET", "/api/v1/tickets/{number}"): (Call("get", "/api/v1/tickets/{ticket}"), SEES_TICKET),
    ("PATCH", "/api/v1/tickets/{number}"): (
        Call("patch", "/api/v1/tickets/{ticket}", {"priority": "high"}),
        {**SEES_TICKET, "owner": 403},
    ),
    ("POST", "/api/v1/tickets/{number}/merge"): (
        Call("post", "/api/v1/tickets/{duplicate}/merge", {"into": "{ticket}"}),
        STAFF_ONLY,
    ),
    ("GET", "/api/v1/tickets/{number}/messages"): (
        Call("get", "/api/v1/tickets/{ticket}/messages"),
        SEES_TICKET,
    ),
    ("POST", "/api/v1/tickets/{number}/messages"): (
        Call("post", "/api/v1/tickets/{ticket}/messages", {"body": "More details"}, multipart=True),
        {role: 201 if status == 200 else status for role, status in SEES_TICKET.items()},
    ),
    ("GET", "/api/v1/tickets/attachments/{attachment_id}"): (
        Call("get", "/api/v1/tickets/attachments/{attachment}"),
        SEES_TICKET,
    ),
    ("PUT", "/api/v1/tickets/{number}/rating"): (
        Call("put", "/api/v1/tickets/{solved}/rating", {"score": 4}),
        # Only the customer who asked rates; staff who can see it are refused, others get 404.
        {**SEES_TICKET, "agent": 403, "team_lead": 403, "admin": 403},
    ),
    ("POST", "/api/v1/tickets/{number}/links"): (
        Call("post", "/api/v1/tickets/{ticket}/links", {"ticket": "{solved}"}),
        STAFF_ONLY,
    ),
    ("DELETE", "/api/v1/tickets/{number}/links/{link_id}"): (
        Call("delete", "/api/v1/tickets/{ticket}/links/{link}"),
        STAFF_ONLY,
    ),
}


def _world() -> tuple[dict[str, User | None], dict[str, str]]:
    team = Team.objects.create(name="Deposits", slug="deposits")
    futures = Team.objects.create(name="Futures", slug="futures")
    users: dict[str, User | None] = {
        "anonymous": None,
        "owner": make_user(Role.CUSTOMER),
        "other_customer": make_user(Role.CUSTOMER),
        "agent": enrol_totp(make_user(Role.AGENT)),
        "outside_agent": enrol_totp(make_user(Role.AGENT)),
        "team_lead": enrol_totp(make_user(Role.TEAM_LEAD)),
        "admin": enrol_totp(make_user(Role.ADMIN)),
        "reviewer": enrol_totp(make_user(Role.CONTENT_REVIEWER)),
    }
    AgentProfile.objects.get_or_create(user=users["agent"])[0].teams.add(team)
    AgentProfile.objects.get_or_create(user=users["outside_agent"])[0].teams.add(futures)

    def ticket(owner: User, subject: str) -> Any:
        opened = ticket_actions.open_ticket(owner, NewTicket(subject=subject, body="Nothing arrived."))
        ticket_actions.move_to_team(opened, None, team)
        return opened

    owner, other = users["owner"], users["other_customer"]
    assert owner is not None and other is not None
    main = ticket(owner, "Deposit missing")
    duplicate = ticket(owner, "Deposit missing (again)")
    solved = ticket(owner, "Old question")
    ticket_actions.change_status(solved, users["agent"], Status.SOLVED)
    other_ticket = ticket(other, "Deposits delayed")
    message = ticket_actions.add_message(
        main, owner, "screenshot", uploads=[Upload("s.png", SimpleUploadedFile("s.png", PNG), len(PNG))]
    )
    link = ticket_actions.link_tickets(main, other_ticket, "related", users["agent"])

    category = Category.objects.create(slug="deposits", names={"en": "Deposits"})
    section = Section.objects.create(category=category, slug="crypto", names={"en": "Crypto deposits"})
    writer, reviewer = users["agent"], users["reviewer"]

    def article(slug: str, state: str) -> str:
        item = help_actions.create_article(
            writer,
            section=section,
            slug=slug,
            level="beginner",
            language="en",
            content=help_actions.RevisionInput(
                title=slug, body="Check the network.", summary="", sample_questions=[]
            ),
        )
        if state != "draft":
            help_actions.submit_for_review(writer, item)
        if state == "published":
            help_actions.approve(reviewer, item)
        return slug

    values = {
        "ticket": main.reference,
        "duplicate": duplicate.reference,
        "solved": solved.reference,
        "other_ticket": other_ticket.reference,
        "attachment": str(message.attachments.get().pk),
        "link": str(link.pk),
        "article": article("deposit-not-credited", "published"),
        "draft": article("a-draft", "draft"),
        "in_review": article("in-review", "in_review"),
    }
    return users, values


def _status_matches(expected: Any, status: int) -> bool:
    if expected == OK:
        return 200 <= status < 300
    if expected == ALLOWED:
        return status < 500 and status not in (401, 403, 404)
    return bool(status == expected)


def _call(client: Client, call: Call, values: dict[str, str]) -> int:
    path = call.path.format(**values)
    if call.body is None:
        return int(getattr(client, call.method)(path).status_code)
    body = {
        key: value.format(**values) if isinstance(value, str) else value for key, value in call.body.items()
    }
    if call.multipart:
        return int(client.post(path, body).status_code)
    return int(
        getattr(client, call.method)(path, json.dumps(body), content_type="application/json").status_code
    )


def test_every_endpoint_is_in_the_table() -> None:
    schema = api.get_openapi_schema()
    endpoints = {
        (method.upper(), path) for path, operations in schema["paths"].items() for method in operations
    }
    assert endpoints == set(EXPECTED)


def test_every_endpoint_for_every_role(settings: Any, tmp_path: Any) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    users, values = _world()
    wrong = []
    for (method, path), (call, expected) in EXPECTED.items():
        for role in ROLES:
            client = Client()
            user = users[role]
            if user is not None:
                client.force_login(user)
            cache.clear()  # rate limits count per address, and every client here is 127.0.0.1
            with transaction.atomic():
                status = _call(client, call, values)
                transaction.set_rollback(True)
            if not _status_matches(expected[role], status):
                wrong.append(f"{method} {path} as {role}: {status}, expected {expected[role]}")
    assert wrong == [], "\n".join(wrong)
