"""The help-center, search and matcher API: customers only ever get reviewed text, editors only do
what their role allows, and every error says what was wrong."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import make_user
from watchkeeper.helpcenter import actions
from watchkeeper.helpcenter.models import ArticleTranslation, Feedback, Workflow

pytestmark = pytest.mark.django_db
EDITOR = "/api/v1/help/editor/articles"


def _content(
    title: str, body: str = "Check the network and the memo before you send."
) -> actions.RevisionInput:
    return actions.RevisionInput(
        title=title, body=body, summary="What to check", sample_questions=["where is it"]
    )


def _published(writer, reviewer, section, slug="deposit-not-credited", title="Deposit not credited"):
    item = actions.create_article(
        writer, section=section, slug=slug, level="beginner", language="en", content=_content(title)
    )
    actions.submit_for_review(writer, item)
    return actions.approve(reviewer, item)


def _post(client: Client, url: str, payload: dict, method: str = "post"):
    return getattr(client, method)(url, data=json.dumps(payload), content_type="application/json")


def test_unreviewed_text_is_never_served_by_the_api(client: Client, writer, reviewer, section) -> None:
    draft = actions.create_article(
        writer,
        section=section,
        slug="draft-only",
        level="beginner",
        language="en",
        content=_content("Secret draft"),
    )
    actions.submit_for_review(writer, draft)
    item = _published(writer, reviewer, section)
    actions.save_revision(writer, item, _content("Unreviewed wording"))
    item.refresh_from_db()
    actions.submit_for_review(writer, item)

    missing = client.get("/api/v1/help/articles/draft-only")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    shown = client.get("/api/v1/help/articles/deposit-not-credited").json()
    assert shown["title"] == "Deposit not credited"
    listing = client.get("/api/v1/help/articles").json()
    assert [row["slug"] for row in listing["items"]] == ["deposit-not-credited"]
    assert listing["items"][0]["title"] == "Deposit not credited"
    assert client.get("/api/v1/search/", {"q": "unreviewed wording"}).json()["total"] == 0
    assert client.get("/api/v1/search/", {"q": "secret draft"}).json()["total"] == 0
    assert client.get("/api/v1/help/categories").json()[0]["article_count"] == 1

    actions.approve(reviewer, item)
    assert client.get("/api/v1/help/articles/deposit-not-credited").json()["title"] == "Unreviewed wording"


def test_article_detail_has_sanitised_html_headings_and_english_fallback(
    client: Client, writer, reviewer, section
) -> None:
    item = actions.create_article(
        writer,
        section=section,
        slug="memo",
        level="intermediate",
        language="en",
        content=_content("Memo", "## Why a memo\n\n<script>alert(1)</script>Send the memo.\n"),
    )
    actions.submit_for_review(writer, item)
    actions.approve(reviewer, item)
    body = client.get("/api/v1/help/articles/memo", {"language": "de"}).json()
    assert body["language"] == "en" and body["is_fallback"] is True
    assert "<script" not in body["body_html"]
    assert body["headings"][0]["text"] == "Why a memo"
    assert body["level"] == "intermediate" and body["category"] == "deposits"


def test_article_listing_filters_and_paginates(client: Client, writer, reviewer, section) -> None:
    for number in range(23):
        _published(writer, reviewer, section, slug=f"article-{number:02}", title=f"Article {number}")
    first = client.get("/api/v1/help/articles", {"category": "deposits"}).json()
    assert first["count"] == 23 and len(first["items"]) == 20
    second = client.get("/api/v1/help/articles", {"category": "deposits", "page": 2}).json()
    assert len(second["items"]) == 3
    assert client.get("/api/v1/help/articles", {"level": "advanced"}).json()["count"] == 0
    bad_level = client.get("/api/v1/help/articles", {"level": "expert"})
    assert bad_level.status_code == 422 and bad_level.json()["error"] == "invalid_input"
    assert client.get("/api/v1/help/articles", {"category": "nope"}).status_code == 404


def test_feedback_through_the_api_is_one_vote_per_session(client: Client, writer, reviewer, section) -> None:
    item = _published(writer, reviewer, section)
    url = "/api/v1/help/articles/deposit-not-credited/feedback"
    assert _post(client, url, {"helpful": False, "comment": "No word on XRP tags"}).status_code == 200
    # The API set a session cookie; the same browser must now send its CSRF token.
    assert _post(client, url, {"helpful": True}).status_code == 200
    item.refresh_from_db()
    assert (item.helpful_votes, item.unhelpful_votes) == (1, 0)
    assert Feedback.objects.count() == 1


def test_feedback_from_a_browser_session_needs_the_csrf_token(writer, reviewer, section) -> None:
    _published(writer, reviewer, section)
    browser = Client(enforce_csrf_checks=True)
    customer = make_user(Role.CUSTOMER)
    browser.force_login(customer)
    url = "/api/v1/help/articles/deposit-not-credited/feedback"
    refused = _post(browser, url, {"helpful": True})
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    browser.get("/en/help/")  # sets the csrftoken cookie
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(
        url,
        data=json.dumps({"helpful": True}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert accepted.status_code == 200
    assert Feedback.objects.get().user == customer


def test_feedback_is_rate_limited_with_a_clear_error(client: Client, writer, reviewer, section) -> None:
    _published(writer, reviewer, section)
    url = "/api/v1/help/articles/deposit-not-credited/feedback"
    statuses = [
        Client().post(url, data='{"helpful": true}', content_type="application/json").status_code
        for _ in range(21)
    ]
    assert statuses[:20] == [200] * 20
    assert statuses[20] == 429
    limited = Client().post(url, data='{"helpful": true}', content_type="application/json")
    assert limited.json()["error"] == "too_many_requests"


def test_editor_api_runs_the_workflow_with_four_eyes(writer, reviewer, section) -> None:
    writing, reviewing = Client(), Client()
    writing.force_login(writer)
    reviewing.force_login(reviewer)
    payload = {
        "slug": "withdrawal-pending",
        "category": "deposits",
        "section": "crypto",
        "level": "beginner",
        "language": "en",
        "title": "Withdrawal pending",
        "body": "Withdrawals wait for network confirmations.",
        "sample_questions": ["why is my withdrawal pending"],
    }
    created = _post(writing, EDITOR, payload)
    assert created.status_code == 201, created.content
    assert created.json()["workflow"] == "draft"
    duplicate = _post(writing, EDITOR, payload)
    assert duplicate.status_code == 409 and "slug already exists" in duplicate.json()["detail"]
    article = f"{EDITOR}/withdrawal-pending/en"
    assert _post(writing, f"{article}/submit", {}).json()["workflow"] == "in_review"
    own = _post(writing, f"{article}/approve", {})
    assert own.status_code == 403  # agents hold no review permission
    saved_while_in_review = _post(writing, article, {"title": "x", "body": "y"}, method="put")
    assert saved_while_in_review.status_code == 409 and "in review" in saved_while_in_review.json()["detail"]
    assert _post(reviewing, f"{article}/send-back", {"comment": ""}).status_code == 422
    assert (
        _post(reviewing, f"{article}/send-back", {"comment": "Add the typical times"}).json()["workflow"]
        == "draft"
    )
    updated = _post(
        writing, article, {"title": "Withdrawal pending", "body": "Usually 10 to 60 minutes."}, method="put"
    )
    assert updated.status_code == 200 and updated.json()["working_revision"]["number"] == 2
    diff = writing.get(f"{article}/diff", {"old": 1, "new": 2}).json()
    assert "-Withdrawals wait for network confirmations." in diff["unified"]
    assert "+Usually 10 to 60 minutes." in diff["unified"]
    _post(writing, f"{article}/submit", {})
    approved = _post(reviewing, f"{article}/approve", {"comment": "Good"})
    assert approved.json()["workflow"] == "published" and approved.json()["published_revision"] == 2
    detail = reviewing.get(article).json()
    assert [revision["number"] for revision in detail["revisions"]] == [2, 1]
    assert {comment["verdict"] for comment in detail["comments"]} == {"sent_back", "approved"}
    assert Client().get("/api/v1/help/articles/withdrawal-pending").json()["title"] == "Withdrawal pending"


def test_a_reviewer_cannot_approve_their_own_revision_through_the_api(reviewer, section) -> None:
    client = Client()
    client.force_login(reviewer)
    item = actions.create_article(
        reviewer, section=section, slug="own", level="beginner", language="en", content=_content("Own")
    )
    actions.submit_for_review(reviewer, item)
    refused = _post(client, f"{EDITOR}/own/en/approve", {})
    assert refused.status_code == 409 and refused.json()["error"] == "conflict"
    assert ArticleTranslation.objects.get(pk=item.pk).workflow == Workflow.IN_REVIEW


def test_editor_api_refuses_strangers_customers_and_forged_requests(writer, section) -> None:
    anonymous = Client().get(EDITOR)
    assert anonymous.status_code == 401
    customer = Client()
    customer.force_login(make_user(Role.CUSTOMER))
    assert customer.get(EDITOR).status_code == 403
    assert (
        _post(
            customer,
            EDITOR,
            {"slug": "x", "category": "deposits", "section": "crypto", "title": "t", "body": "b"},
        ).status_code
        == 403
    )
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(writer)
    assert forged.get(EDITOR).status_code == 200
    assert (
        _post(
            forged,
            EDITOR,
            {"slug": "x", "category": "deposits", "section": "crypto", "title": "t", "body": "b"},
        ).status_code
        == 403
    )


def test_editor_api_needs_a_second_factor_for_staff(section) -> None:
    client = Client()
    client.force_login(make_user(Role.CONTENT_REVIEWER))
    refused = client.get(EDITOR)
    assert refused.status_code == 403 and "two-factor" in refused.json()["detail"]


def test_editor_can_add_a_translation_with_put(writer, reviewer, section) -> None:
    _published(writer, reviewer, section)
    client = Client()
    client.force_login(writer)
    created = _post(
        client,
        f"{EDITOR}/deposit-not-credited/zh-hans",
        {"title": "充值未到账", "body": "请检查网络。"},
        method="put",
    )
    assert created.status_code == 201 and created.json()["language"] == "zh-hans"
    assert (
        _post(
            client, f"{EDITOR}/deposit-not-credited/xx", {"title": "t", "body": "b"}, method="put"
        ).status_code
        == 422
    )


def test_search_and_autocomplete_api(client: Client, writer, reviewer, section) -> None:
    _published(writer, reviewer, section)
    found = client.get("/api/v1/search/", {"q": "deposit credited", "language": "en"}).json()
    assert found["total"] == 1 and "<mark>" in found["results"][0]["title_html"]
    assert found["results"][0]["url"] == "/en/help/a/deposit-not-credited/"
    assert client.get("/api/v1/search/", {"q": ""}).status_code == 422
    completions = client.get("/api/v1/search/autocomplete", {"q": "depo", "language": "en"}).json()
    assert completions[0]["text"] == "Deposit not credited" and completions[0]["source"] == "title"


def test_matcher_api_declines_without_a_trained_model(client: Client) -> None:
    answer = _post(client, "/api/v1/answers/match", {"question": "where is my deposit", "language": "en"})
    assert answer.status_code == 200 and answer.json() == {"decision": "decline", "articles": []}
    assert _post(client, "/api/v1/answers/match", {"question": ""}).status_code == 422


def test_the_openapi_schema_lists_the_help_center(client: Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/help/categories",
        "/api/v1/help/articles/{slug}",
        "/api/v1/help/editor/articles/{slug}/{language}/approve",
        "/api/v1/search/",
        "/api/v1/answers/match",
    ):
        assert path in paths
