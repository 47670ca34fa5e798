"""The editors' console: the review queue with a readable diff, attachments with checked types and
sizes, and the content-gaps page."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import enrol_totp, make_user
from watchkeeper.helpcenter import actions
from watchkeeper.helpcenter.diff import revision_diff, unified_diff
from watchkeeper.helpcenter.models import ArticleTranslation, Attachment, Revision, Workflow
from watchkeeper.helpcenter.rendering import render_markdown
from watchkeeper.search import actions as search_actions

pytestmark = pytest.mark.django_db
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _draft(writer, section, slug: str, title: str, body: str) -> ArticleTranslation:
    return actions.create_article(
        writer,
        section=section,
        slug=slug,
        level="beginner",
        language="en",
        content=actions.RevisionInput(title=title, body=body),
    )


def test_console_pages_are_for_editors_only(writer, section) -> None:
    assert Client().get("/en/console/help/").status_code == 302
    assert _client(make_user(Role.CUSTOMER)).get("/en/console/help/").status_code == 403
    page = _client(writer).get("/en/console/help/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Help-center articles" in html and "Content gaps" in html
    assert "Review queue" not in html  # agents write; reviewing is someone else's job
    assert (
        "Review queue"
        in _client(enrol_totp(make_user(Role.TEAM_LEAD))).get("/en/console/help/").content.decode()
    )


def test_staff_without_a_second_factor_are_sent_to_enrol(section) -> None:
    response = _client(make_user(Role.CONTENT_REVIEWER)).get("/en/console/help/review/")
    assert response.status_code == 302 and response["Location"].startswith("/en/accounts/2fa/totp/activate/")


def test_writing_submitting_reviewing_and_publishing_through_the_pages(
    client: Client, writer, reviewer, section
) -> None:
    writing, reviewing = _client(writer), _client(reviewer)
    created = writing.post(
        "/en/console/help/new/",
        {
            "section": section.pk,
            "slug": "deposit-missing",
            "level": "beginner",
            "language": "en",
            "title": "Deposit missing",
            "body": "Wait for 12 confirmations.\n\nThen contact us.",
            "sample_questions": "where is my deposit\nmy deposit has not arrived",
            "tags": "deposit, confirmations",
        },
    )
    assert created.status_code == 302 and created["Location"] == "/en/console/help/a/deposit-missing/en/"
    workflow = "/en/console/help/a/deposit-missing/en/workflow/"
    writing.post(workflow, {"step": "submit"})
    reviewing.post(workflow, {"step": "approve"})
    assert client.get("/en/help/a/deposit-missing/").status_code == 200

    writing.post(
        "/en/console/help/a/deposit-missing/en/",
        {
            "title": "Deposit missing",
            "body": "Wait for 6 confirmations.\n\nThen contact us.",
            "note": "Fewer now",
        },
    )
    writing.post(workflow, {"step": "submit"})
    queue = reviewing.get("/en/console/help/review/").content.decode()
    assert "Deposit missing" in queue and "Fewer now" in queue
    diff = reviewing.get("/en/console/help/a/deposit-missing/en/diff/").content.decode()
    assert "<del>12</del>" in diff and "<ins>6</ins>" in diff
    assert 'value="approve"' in diff  # the reviewer can act from the diff
    assert "Wait for 12 confirmations" in client.get("/en/help/a/deposit-missing/").content.decode()

    # The writer cannot approve: no button, and a forged POST changes nothing.
    assert 'value="approve"' not in writing.get("/en/console/help/a/deposit-missing/en/").content.decode()
    writing.post(workflow, {"step": "approve"})
    reviewing.post(workflow, {"step": "send_back", "comment": ""})
    assert _workflow_of("deposit-missing") == Workflow.IN_REVIEW
    reviewing.post(workflow, {"step": "approve", "comment": "Checked with the ops team"})
    assert _workflow_of("deposit-missing") == Workflow.PUBLISHED
    assert "Wait for 6 confirmations" in client.get("/en/help/a/deposit-missing/").content.decode()


def _workflow_of(slug: str) -> str:
    return ArticleTranslation.objects.get(article__slug=slug, language="en").workflow


def test_a_missing_translation_starts_from_the_source_text(writer, reviewer, section) -> None:
    item = _draft(writer, section, "fees", "Fees", "Maker 0.1%")
    page = _client(writer).get("/en/console/help/a/fees/de/").content.decode()
    assert "Maker 0.1%" in page and "The form starts from the source text" in page
    _client(writer).post("/en/console/help/a/fees/de/", {"title": "Gebühren", "body": "Maker 0,1 %"})
    assert item.article.translations.get(language="de").working_revision.title == "Gebühren"


def test_archiving_asks_for_confirmation(writer, reviewer, section) -> None:
    item = _draft(writer, section, "fees", "Fees", "Maker")
    actions.submit_for_review(writer, item)
    actions.approve(reviewer, item)
    html = _client(reviewer).get("/en/console/help/a/fees/en/").content.decode()
    assert 'value="archive"' in html and "return confirm(" in html


def test_images_are_accepted_and_served_and_disguised_files_refused(writer, section, settings) -> None:
    item = _draft(writer, section, "kyc", "KYC", "Upload ID")
    client = _client(writer)
    client.post(
        "/en/console/help/a/kyc/attachments/",
        {
            "file": SimpleUploadedFile("selfie example.png", PNG, "image/png"),
            "title": "Selfie",
            "language": "en",
        },
    )
    attachment = Attachment.objects.get()
    assert (
        attachment.kind == "image" and attachment.content_type == "image/png" and attachment.size == len(PNG)
    )
    assert attachment.file.name.startswith(
        f"helpcenter/{item.article_id}/"
    ) and attachment.file.name.endswith(".png")
    served = Client().get(attachment.file.url)
    assert served.status_code == 200 and b"".join(served.streaming_content) == PNG

    disguised = client.post(
        "/en/console/help/a/kyc/attachments/",
        {
            "file": SimpleUploadedFile("x.png", b"<html><script>alert(1)</script>", "image/png"),
            "language": "en",
        },
        follow=True,
    )
    assert "Only PNG, JPEG, GIF and WebP images" in disguised.content.decode()
    assert Attachment.objects.count() == 1


def test_oversized_files_are_refused_with_the_limit_named(writer, section, monkeypatch) -> None:
    _draft(writer, section, "kyc", "KYC", "Upload ID")
    monkeypatch.setitem(actions.ATTACHMENT_LIMITS, Attachment.Kind.IMAGE, 100)
    response = _client(writer).post(
        "/en/console/help/a/kyc/attachments/",
        {"file": SimpleUploadedFile("big.png", PNG + b"\0" * 200, "image/png"), "language": "en"},
        follow=True,
    )
    assert "may be at most 100" in response.content.decode()
    assert not Attachment.objects.exists()


def test_customers_cannot_upload(section, writer) -> None:
    _draft(writer, section, "kyc", "KYC", "Upload ID")
    response = _client(make_user(Role.CUSTOMER)).post(
        "/en/console/help/a/kyc/attachments/", {"file": io.BytesIO(PNG)}
    )
    assert response.status_code == 403 and not Attachment.objects.exists()


def test_uploaded_videos_become_players_and_other_links_stay_links() -> None:
    html = str(render_markdown("[Walkthrough](/media/helpcenter/3/abc.mp4)\n\n[Terms](/en/terms/)\n").html)
    assert '<video controls preload="metadata" src="/media/helpcenter/3/abc.mp4">' in html
    assert '<a href="/en/terms/"' in html


def test_content_gaps_list_unanswered_and_unclicked_searches_and_unhelpful_articles(
    writer, reviewer, section
) -> None:
    for number in range(3):
        search_actions.log_query(
            query="Staking rewards", language="en", result_count=0, user_id=None, session_key=f"s{number}"
        )
        search_actions.log_query(
            query="withdrawal fee", language="en", result_count=4, user_id=None, session_key=f"s{number}"
        )
    search_actions.log_query(
        query="rare question", language="en", result_count=0, user_id=None, session_key="x"
    )
    item = _draft(writer, section, "fees", "Fees", "Maker")
    actions.submit_for_review(writer, item)
    actions.approve(reviewer, item)
    for number in range(3):
        actions.record_feedback(
            item,
            helpful=False,
            comment=f"No word about network fees {number}",
            user_id=None,
            session_key=f"v{number}",
        )
    html = _client(writer).get("/en/console/help/gaps/").content.decode()
    assert "Staking rewards" in html and "withdrawal fee" in html and "0 / 3" in html
    assert "rare question" not in html  # searched once: not yet a pattern
    assert "No word about network fees" in html
    empty = _client(writer).get("/en/console/help/gaps/?days=7")
    assert empty.status_code == 200


def test_diff_marks_changed_words_including_chinese() -> None:
    old = Revision(
        number=1, title="充值未到账", summary="", body="请等待 12 个确认。", sample_questions=["a"]
    )
    new = Revision(
        number=2, title="充值未到账", summary="", body="请等待 6 个确认。", sample_questions=["a", "b"]
    )
    fields = {field.name: field for field in revision_diff(old, new)}
    assert not fields["Title"].changed
    body = [line for line in fields["Body"].lines if line is not None]
    removed = next(line for line in body if line.kind == "removed")
    assert [segment.text for segment in removed.segments if segment.changed] == ["12"]
    assert fields["Sample questions"].changed
    assert "+? b" in unified_diff(old, new)
