"""The knowledge base: categories, sections, articles, their translations and every revision.

What customers see is a translation's `published_revision`, which only `actions.approve` (or the
scheduled publication of an approved revision) ever sets, and only to a revision with `approved_by`.
Editing never changes it: a new revision is a draft until someone else reviews it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def localised(values: dict[str, str], language: str, fallback: str = "en") -> str:
    return values.get(language) or values.get(fallback) or next(iter(values.values()), "")


class Level(models.TextChoices):
    BEGINNER = "beginner", _("Beginner")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")


class Category(models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    icon = models.CharField(_("icon"), max_length=32, blank=True)
    names = models.JSONField(_("names"), default=dict, help_text=_("One name per language code."))
    descriptions = models.JSONField(_("descriptions"), default=dict, blank=True)

    class Meta:
        ordering = ["order", "slug"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return localised(self.names, "en") or self.slug

    def name_in(self, language: str) -> str:
        return localised(self.names, language) or self.slug

    def description_in(self, language: str) -> str:
        return localised(self.descriptions, language)


class Section(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="sections")
    slug = models.SlugField(_("slug"))
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    names = models.JSONField(_("names"), default=dict)

    class Meta:
        ordering = ["order", "slug"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        constraints = [models.UniqueConstraint(fields=["category", "slug"], name="helpcenter_section_unique")]

    def __str__(self) -> str:
        return f"{self.category} / {localised(self.names, 'en') or self.slug}"

    def name_in(self, language: str) -> str:
        return localised(self.names, language) or self.slug


class Article(models.Model):
    slug = models.SlugField(_("slug"), unique=True, max_length=80)
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, related_name="articles", verbose_name=_("section")
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, default=Level.BEGINNER)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    related = models.ManyToManyField(
        "self", symmetrical=False, blank=True, verbose_name=_("related articles")
    )
    source_language = models.CharField(_("source language"), max_length=10, default="en")
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["order", "slug"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        permissions = [
            ("write_articles", "Can write and submit help-center articles"),
            ("review_articles", "Can review, publish and archive help-center articles"),
        ]

    def __str__(self) -> str:
        return self.slug


class Workflow(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class ArticleTranslation(models.Model):
    """An article in one language. `workflow` is the state of its newest revision."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    workflow = models.CharField(
        _("workflow"), max_length=16, choices=Workflow.choices, default=Workflow.DRAFT
    )
    working_revision = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_revision = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    last_reviewed_at = models.DateTimeField(_("last reviewed"), null=True, blank=True)
    last_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The source-language revision number this translation was last brought in line with.
    source_revision_number = models.PositiveIntegerField(default=0)
    outdated = models.BooleanField(_("outdated"), default=False)
    helpful_votes = models.PositiveIntegerField(default=0)
    unhelpful_votes = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("article translation")
        verbose_name_plural = _("article translations")
        constraints = [
            models.UniqueConstraint(fields=["article", "language"], name="helpcenter_translation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article.slug} [{self.language}]"

    @property
    def helpfulness(self) -> float:
        """Share of helpful votes, pulled towards neutral while there are few (a Bayesian average)."""
        return (self.helpful_votes + 1) / (self.helpful_votes + self.unhelpful_votes + 2)


class Revision(models.Model):
    """An immutable version of a translation's text."""

    translation = models.ForeignKey(ArticleTranslation, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=400, blank=True)
    body = models.TextField(_("body (Markdown)"))
    sample_questions = models.JSONField(_("sample questions"), default=list, blank=True)
    note = models.CharField(_("change note"), max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["translation", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["translation", "number"], name="helpcenter_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.translation} r{self.number}"


class ReviewComment(models.Model):
    class Verdict(models.TextChoices):
        COMMENT = "comment", _("Comment")
        SENT_BACK = "sent_back", _("Sent back")
        APPROVED = "approved", _("Approved")
        CONFIRMED = "confirmed", _("Confirmed still accurate")

    translation = models.ForeignKey(ArticleTranslation, on_delete=models.CASCADE, related_name="comments")
    revision = models.ForeignKey(Revision, null=True, on_delete=models.SET_NULL, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    verdict = models.CharField(max_length=16, choices=Verdict.choices, default=Verdict.COMMENT)
    body = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()}: {self.body[:40]}"


class Feedback(models.Model):
    """A "was this helpful?" vote; one per person (account or browser session) and translation."""

    translation = models.ForeignKey(ArticleTranslation, on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    session_key = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")

    def __str__(self) -> str:
        return f"{'+' if self.helpful else '-'} {self.translation_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"helpcenter/{instance.article_id}/{filename}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Video")
        FILE = "file", _("File")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.title or str(self.file.name)
