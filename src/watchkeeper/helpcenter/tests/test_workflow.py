"""The editorial workflow: nothing reaches customers unreviewed, and the states move as documented."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import make_user
from watchkeeper.helpcenter import actions
from watchkeeper.helpcenter.models import Workflow
from watchkeeper.helpcenter.queries import published
from watchkeeper.search import queries as search_queries

pytestmark = pytest.mark.django_db


def _content(
    title: str, body: str = "Check the network and the memo before you send."
) -> actions.RevisionInput:
    return actions.RevisionInput(
        title=title, body=body, summary="What to check", sample_questions=["where is my deposit"]
    )


def _create(writer, section, title="Deposit not credited"):
    return actions.create_article(
        writer,
        section=section,
        slug="deposit-not-credited",
        level="beginner",
        language="en",
        content=_content(title),
    )


def test_a_draft_and_an_article_in_review_are_invisible_to_customers(
    client: Client, writer, reviewer, section
) -> None:
    item = _create(writer, section)
    assert client.get("/en/help/a/deposit-not-credited/").status_code == 404
    actions.submit_for_review(writer, item)
    assert client.get("/en/help/a/deposit-not-credited/").status_code == 404
    assert not published().exists()
    assert search_queries.search("deposit credited", language="en").total == 0

    actions.approve(reviewer, item)
    page = client.get("/en/help/a/deposit-not-credited/")
    assert page.status_code == 200 and "Deposit not credited" in page.content.decode()
    assert search_queries.search("deposit credited", language="en").total == 1


def test_a_new_revision_stays_hidden_until_approved(client: Client, writer, reviewer, section) -> None:
    item = _create(writer, section)
    actions.submit_for_review(writer, item)
    actions.approve(reviewer, item)
    actions.save_revision(writer, item, _content("Deposit missing? Unreviewed wording"))
    html = client.get("/en/help/a/deposit-not-credited/").content.decode()
    assert "Unreviewed wording" not in html and "Deposit not credited" in html
    assert search_queries.search("unreviewed wording", language="en").total == 0
    item.refresh_from_db()
    actions.submit_for_review(writer, item)
    actions.approve(reviewer, item)
    assert "Unreviewed wording" in client.get("/en/help/a/deposit-not-credited/").content.decode()


def test_authors_cannot_approve_their_own_revision(writer, section) -> None:
    lead = make_user(Role.TEAM_LEAD)
    item = actions.create_article(
        lead, section=section, slug="own", level="beginner", language="en", content=_content("Own article")
    )
    actions.submit_for_review(lead, item)
    with pytest.raises(actions.WorkflowError):
        actions.approve(lead, item)
    with pytest.raises(actions.WorkflowError):  # and agents cannot approve at all
        actions.approve(writer, item)
    assert not published().exists()


def test_sending_back_needs_a_comment_and_returns_to_draft(writer, reviewer, section) -> None:
    item = _create(writer, section)
    actions.submit_for_review(writer, item)
    with pytest.raises(actions.WorkflowError):
        actions.send_back(reviewer, item, "  ")
    actions.send_back(reviewer, item, "Mention the memo/tag for XRP.")
    item.refresh_from_db()
    assert item.workflow == Workflow.DRAFT
    assert item.comments.get().body == "Mention the memo/tag for XRP."
    with pytest.raises(actions.WorkflowError):
        actions.approve(reviewer, item)


def test_scheduled_publication_waits_for_its_time(client: Client, writer, reviewer, section) -> None:
    item = _create(writer, section)
    actions.submit_for_review(writer, item)
    actions.approve(reviewer, item, publish_at=timezone.now() + timedelta(hours=2))
    item.refresh_from_db()
    assert item.workflow == Workflow.SCHEDULED
    assert actions.publish_due() == 0
    assert client.get("/en/help/a/deposit-not-credited/").status_code == 404
    assert actions.publish_due(now=timezone.now() + timedelta(hours=3)) == 1
    assert client.get("/en/help/a/deposit-not-credited/").status_code == 200


def test_translations_are_flagged_outdated_when_the_source_changes(writer, reviewer, section) -> None:
    item = _create(writer, section)
    actions.submit_for_review(writer, item)
    actions.approve(reviewer, item)
    chinese = actions.add_translation(
        writer, item.article, "zh-hans", _content("充值未到账", "请检查网络和备注。")
    )
    actions.submit_for_review(writer, chinese)
    actions.approve(reviewer, chinese)
    chinese.refresh_from_db()
    assert not chinese.outdated
    item.refresh_from_db()
    actions.save_revision(writer, item, _content("Deposit not credited (updated)"))
    item.refresh_from_db()
    actions.submit_for_review(writer, item)
    actions.approve(reviewer, item)
    chinese.refresh_from_db()
    assert chinese.outdated


def test_missing_translation_falls_back_to_english_with_a_notice(
    client: Client, writer, reviewer, section
) -> None:
    item = _create(writer, section)
    actions.submit_for_review(writer, item)
    actions.approve(reviewer, item)
    page = client.get("/de/help/a/deposit-not-credited/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Deposit not credited" in html and 'lang="en"' in html


def test_archiving_hides_the_article_and_removes_it_from_search(
    client: Client, writer, reviewer, section
) -> None:
    item = _create(writer, section)
    actions.submit_for_review(writer, item)
    actions.approve(reviewer, item)
    actions.archive(reviewer, item)
    assert client.get("/en/help/a/deposit-not-credited/").status_code == 404
    assert search_queries.search("deposit credited", language="en").total == 0


def test_feedback_is_one_vote_per_person(client: Client, writer, reviewer, section) -> None:
    item = _create(writer, section)
    actions.submit_for_review(writer, item)
    actions.approve(reviewer, item)
    client.get("/en/help/a/deposit-not-credited/")
    client.post("/en/help/a/deposit-not-credited/feedback/", {"helpful": "no", "comment": "Missing XRP memo"})
    client.post("/en/help/a/deposit-not-credited/feedback/", {"helpful": "yes"})
    item.refresh_from_db()
    assert (item.helpful_votes, item.unhelpful_votes) == (1, 0)
