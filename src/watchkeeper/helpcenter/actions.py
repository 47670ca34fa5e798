"""Every write to the knowledge base: the editorial workflow, feedback, and keeping search in step."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from watchkeeper.core import files
from watchkeeper.helpcenter import queries
from watchkeeper.helpcenter.models import (
    Article,
    ArticleTranslation,
    Attachment,
    Category,
    Feedback,
    ReviewComment,
    Revision,
    Section,
    Workflow,
)
from watchkeeper.helpcenter.rendering import render_markdown
from watchkeeper.search import actions as search_actions

WRITE_PERMISSION = "helpcenter.write_articles"
REVIEW_PERMISSION = "helpcenter.review_articles"


class WorkflowError(Exception):
    """A workflow step that is not allowed now; the message is shown to the editor as it is."""


@dataclass(frozen=True)
class RevisionInput:
    title: str
    body: str
    summary: str = ""
    sample_questions: list[str] = field(default_factory=list)
    note: str = ""


def _require(user: Any, permission: str) -> None:
    if not user.has_perm(permission):
        raise WorkflowError(_("You do not have permission to do this."))


def _clean_questions(questions: list[str]) -> list[str]:
    return [question.strip()[:300] for question in dict.fromkeys(questions) if question.strip()][:500]


def _new_revision(item: ArticleTranslation, author: Any, content: RevisionInput) -> Revision:
    if not content.title.strip() or not content.body.strip():
        raise WorkflowError(_("A title and a body are required."))
    number = (item.revisions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    return Revision.objects.create(
        translation=item,
        number=number,
        title=content.title.strip()[:200],
        summary=content.summary.strip()[:400],
        body=content.body,
        sample_questions=_clean_questions(content.sample_questions),
        note=content.note.strip()[:300],
        author=author,
    )


def _source_number(article: Article) -> int:
    source = article.translations.filter(language=article.source_language).select_related(
        "published_revision"
    )
    first = source.first()
    return first.published_revision.number if first and first.published_revision else 0


def save_category(
    slug: str,
    names: dict[str, str],
    *,
    descriptions: dict[str, str] | None = None,
    order: int = 100,
    icon: str = "",
) -> Category:
    category, _created = Category.objects.update_or_create(
        slug=slug, defaults={"names": names, "descriptions": descriptions or {}, "order": order, "icon": icon}
    )
    return category


def save_section(category: Category, slug: str, names: dict[str, str], *, order: int = 100) -> Section:
    section, _created = Section.objects.update_or_create(
        category=category, slug=slug, defaults={"names": names, "order": order}
    )
    return section


def set_related(article: Article, related: list[Article]) -> None:
    article.related.set(related)


@transaction.atomic
def create_article(
    author: Any,
    *,
    section: Section,
    slug: str,
    level: str,
    language: str,
    content: RevisionInput,
    tags: list[str] | None = None,
    order: int = 100,
) -> ArticleTranslation:
    _require(author, WRITE_PERMISSION)
    if Article.objects.filter(slug=slug).exists():
        raise WorkflowError(_("An article with this slug already exists."))
    article = Article.objects.create(
        slug=slug,
        section=section,
        level=level,
        tags=tags or [],
        source_language=language,
        created_by=author,
        order=order,
    )
    item = ArticleTranslation.objects.create(article=article, language=language)
    revision = _new_revision(item, author, content)
    item.working_revision = revision
    item.save(update_fields=["working_revision"])
    return item


@transaction.atomic
def add_translation(
    author: Any, article: Article, language: str, content: RevisionInput
) -> ArticleTranslation:
    _require(author, WRITE_PERMISSION)
    if article.translations.filter(language=language).exists():
        raise WorkflowError(_("This article already has a translation in that language."))
    item = ArticleTranslation.objects.create(
        article=article, language=language, source_revision_number=_source_number(article)
    )
    item.working_revision = _new_revision(item, author, content)
    item.save(update_fields=["working_revision"])
    return item


@transaction.atomic
def save_revision(author: Any, item: ArticleTranslation, content: RevisionInput) -> Revision:
    """A new draft. Customers keep seeing the published revision until a reviewer approves this one."""
    _require(author, WRITE_PERMISSION)
    item = ArticleTranslation.objects.select_for_update().get(pk=item.pk)
    if item.workflow == Workflow.IN_REVIEW:
        raise WorkflowError(_("This translation is in review; it can be edited again once it is sent back."))
    revision = _new_revision(item, author, content)
    item.working_revision = revision
    item.workflow = Workflow.DRAFT
    item.publish_at = None
    if item.article.source_language != item.language:
        item.source_revision_number = _source_number(item.article)
    item.save(update_fields=["working_revision", "workflow", "publish_at", "source_revision_number"])
    return revision


@transaction.atomic
def submit_for_review(author: Any, item: ArticleTranslation) -> ArticleTranslation:
    _require(author, WRITE_PERMISSION)
    item = ArticleTranslation.objects.select_for_update().get(pk=item.pk)
    if item.workflow != Workflow.DRAFT or item.working_revision is None:
        raise WorkflowError(_("Only a draft can be submitted for review."))
    item.workflow = Workflow.IN_REVIEW
    item.save(update_fields=["workflow"])
    Revision.objects.filter(pk=item.working_revision.pk).update(submitted_at=timezone.now())
    return item


@transaction.atomic
def send_back(reviewer: Any, item: ArticleTranslation, comment: str) -> ArticleTranslation:
    _require(reviewer, REVIEW_PERMISSION)
    if not comment.strip():
        raise WorkflowError(_("Say what needs to change when sending an article back."))
    item = ArticleTranslation.objects.select_for_update().get(pk=item.pk)
    if item.workflow != Workflow.IN_REVIEW:
        raise WorkflowError(_("Only an article in review can be sent back."))
    item.workflow = Workflow.DRAFT
    item.save(update_fields=["workflow"])
    ReviewComment.objects.create(
        translation=item,
        revision=item.working_revision,
        author=reviewer,
        verdict=ReviewComment.Verdict.SENT_BACK,
        body=comment.strip(),
    )
    return item


@transaction.atomic
def approve(
    reviewer: Any, item: ArticleTranslation, *, publish_at: datetime | None = None, comment: str = ""
) -> ArticleTranslation:
    """Approve the revision in review: publish it now, or at `publish_at`.

    Four eyes: nobody approves a revision they wrote.
    """
    _require(reviewer, REVIEW_PERMISSION)
    # of=("self",): PostgreSQL cannot lock the nullable side of the join, and only this row needs it.
    item = (
        ArticleTranslation.objects.select_for_update(of=("self",))
        .select_related("working_revision")
        .get(pk=item.pk)
    )
    revision = item.working_revision
    if item.workflow != Workflow.IN_REVIEW or revision is None:
        raise WorkflowError(_("Only an article in review can be approved."))
    if revision.author_id == reviewer.pk:
        raise WorkflowError(_("Someone other than the author has to review this revision."))
    now = timezone.now()
    revision.approved_at = now
    revision.approved_by = reviewer
    revision.save(update_fields=["approved_at", "approved_by"])
    ReviewComment.objects.create(
        translation=item,
        revision=revision,
        author=reviewer,
        verdict=ReviewComment.Verdict.APPROVED,
        body=comment.strip(),
    )
    item.last_reviewed_at = now
    item.last_reviewed_by = reviewer
    if publish_at is not None and publish_at > now:
        item.workflow = Workflow.SCHEDULED
        item.publish_at = publish_at
        item.save(update_fields=["workflow", "publish_at", "last_reviewed_at", "last_reviewed_by"])
        return item
    item.save(update_fields=["last_reviewed_at", "last_reviewed_by"])
    return _publish(item)


def _publish(item: ArticleTranslation) -> ArticleTranslation:
    revision = item.working_revision
    assert revision is not None and revision.approved_at is not None  # the callers checked
    item.published_revision = revision
    item.workflow = Workflow.PUBLISHED
    item.publish_at = None
    item.published_at = timezone.now()
    article = item.article
    if item.language == article.source_language:
        item.source_revision_number = revision.number
        item.outdated = False
        # Every other translation was made from an older text now.
        article.translations.exclude(pk=item.pk).filter(source_revision_number__lt=revision.number).update(
            outdated=True
        )
    else:
        item.outdated = item.source_revision_number < _source_number(article)
    item.save(
        update_fields=[
            "published_revision",
            "workflow",
            "publish_at",
            "published_at",
            "source_revision_number",
            "outdated",
        ]
    )
    index_translation(item)
    _retrain_matcher_after_commit()
    return item


@transaction.atomic
def publish_due(now: datetime | None = None) -> int:
    """Publish approved revisions whose scheduled time has come (run every minute)."""
    due = ArticleTranslation.objects.select_for_update(of=("self",)).filter(
        workflow=Workflow.SCHEDULED, publish_at__lte=now or timezone.now()
    )
    count = 0
    for item in due.select_related("working_revision", "article"):
        _publish(item)
        count += 1
    return count


@transaction.atomic
def archive(reviewer: Any, item: ArticleTranslation) -> ArticleTranslation:
    _require(reviewer, REVIEW_PERMISSION)
    item = ArticleTranslation.objects.select_for_update().get(pk=item.pk)
    item.workflow = Workflow.ARCHIVED
    item.save(update_fields=["workflow"])
    search_actions.remove_documents("article", item.article_id, [item.language])
    _retrain_matcher_after_commit()
    return item


@transaction.atomic
def restore(reviewer: Any, item: ArticleTranslation) -> ArticleTranslation:
    _require(reviewer, REVIEW_PERMISSION)
    item = ArticleTranslation.objects.select_for_update().get(pk=item.pk)
    if item.workflow != Workflow.ARCHIVED:
        raise WorkflowError(_("Only an archived article can be restored."))
    if item.published_revision_id and item.published_revision_id == item.working_revision_id:
        item.workflow = Workflow.PUBLISHED
        item.save(update_fields=["workflow"])
        index_translation(item)
        _retrain_matcher_after_commit()
    else:
        item.workflow = Workflow.DRAFT
        item.save(update_fields=["workflow"])
    return item


@transaction.atomic
def confirm_still_accurate(reviewer: Any, item: ArticleTranslation, comment: str = "") -> ArticleTranslation:
    """A periodic review that changes nothing: the article shows the new "last reviewed" date."""
    _require(reviewer, REVIEW_PERMISSION)
    if item.published_revision_id is None:
        raise WorkflowError(_("Only a published article can be confirmed."))
    item.last_reviewed_at = timezone.now()
    item.last_reviewed_by = reviewer
    item.save(update_fields=["last_reviewed_at", "last_reviewed_by"])
    ReviewComment.objects.create(
        translation=item,
        revision=item.published_revision,
        author=reviewer,
        verdict=ReviewComment.Verdict.CONFIRMED,
        body=comment.strip(),
    )
    return item


def index_translation(item: ArticleTranslation) -> None:
    """Put the published text of a translation in the search index (or take it out)."""
    revision = item.published_revision
    if revision is None or item.workflow == Workflow.ARCHIVED:
        search_actions.remove_documents("article", item.article_id, [item.language])
        return
    article = item.article
    rendered = render_markdown(revision.body)
    search_actions.index_documents(
        [
            search_actions.DocumentInput(
                kind="article",
                object_id=article.pk,
                language=item.language,
                title=revision.title,
                summary=revision.summary,
                body=rendered.plain_text,
                url=queries.article_url(article.slug, item.language),
                category=article.section.category.slug,
                level=article.level,
                helpfulness=item.helpfulness,
                published_at=item.published_at,
            )
        ]
    )


_retraining_deferred: ContextVar[bool] = ContextVar("retraining_deferred", default=False)


@contextmanager
def one_retraining() -> Iterator[None]:
    """Publish many articles (an import, the demo) and retrain the matcher once at the end."""
    token = _retraining_deferred.set(True)
    try:
        yield
    finally:
        _retraining_deferred.reset(token)
    _retrain_matcher_after_commit()


def _retrain_matcher_after_commit() -> None:
    if _retraining_deferred.get():
        return
    from watchkeeper.answers.tasks import retrain_matcher

    transaction.on_commit(lambda: retrain_matcher.enqueue())


@transaction.atomic
def record_feedback(
    item: ArticleTranslation, *, helpful: bool, comment: str = "", user_id: int | None, session_key: str
) -> Feedback:
    """One vote per person and translation; voting again replaces the earlier vote."""
    if not user_id and not session_key:
        raise WorkflowError(_("Feedback needs a session; enable cookies and try again."))
    owner = {"user_id": user_id} if user_id else {"session_key": session_key, "user__isnull": True}
    previous = Feedback.objects.select_for_update().filter(translation=item, **owner).first()
    if previous is not None:
        field_name = "helpful_votes" if previous.helpful else "unhelpful_votes"
        ArticleTranslation.objects.filter(pk=item.pk).update(**{field_name: F(field_name) - 1})
        previous.delete()
    feedback = Feedback.objects.create(
        translation=item,
        helpful=helpful,
        comment=comment.strip()[:2000],
        user_id=user_id,
        session_key="" if user_id else session_key[:40],
    )
    field_name = "helpful_votes" if helpful else "unhelpful_votes"
    ArticleTranslation.objects.filter(pk=item.pk).update(**{field_name: F(field_name) + 1})
    item.refresh_from_db(fields=["helpful_votes", "unhelpful_votes"])
    search_actions.set_helpfulness("article", item.article_id, item.language, item.helpfulness)
    return feedback


# What every browser plays or shows inline (QuickTime video, which tickets accept, is not).
ARTICLE_MEDIA_TYPES = files.MEDIA_TYPES - {"video/quicktime"}
ATTACHMENT_LIMITS = {
    Attachment.Kind.IMAGE: 5 * 1024 * 1024,
    Attachment.Kind.VIDEO: 100 * 1024 * 1024,
    Attachment.Kind.FILE: 20 * 1024 * 1024,
}


def add_attachment(user: Any, article: Article, upload: UploadedFile, title: str = "") -> Attachment:
    """Store an image, video or PDF for an article; refused with the reason and limit when not allowed."""
    _require(user, WRITE_PERMISSION)
    file_type = files.sniff(upload)
    if file_type is None or file_type.content_type not in ARTICLE_MEDIA_TYPES:
        raise WorkflowError(
            _("Only PNG, JPEG, GIF and WebP images, MP4 and WebM videos and PDF files can be attached.")
        )
    limit = ATTACHMENT_LIMITS[Attachment.Kind(file_type.kind)]
    size = upload.size or 0
    if size > limit:
        raise WorkflowError(
            _("This file is %(size)s; attachments of this kind may be at most %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)}
        )
    original = Path(upload.name or "").stem[:150]
    attachment = Attachment(
        article=article,
        kind=file_type.kind,
        title=(title.strip() or original)[:200],
        content_type=file_type.content_type,
        size=size,
        uploaded_by=user,
    )
    # A random name: the uploader's file name could clash, guess or carry a misleading extension.
    attachment.file.save(f"{uuid.uuid4().hex}.{file_type.extension}", upload, save=False)
    attachment.save()
    return attachment


def remove_attachment(user: Any, attachment: Attachment) -> None:
    _require(user, WRITE_PERMISSION)
    attachment.file.delete(save=False)
    attachment.delete()
