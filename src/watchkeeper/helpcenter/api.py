"""The help center over HTTP: what customers may read (published, reviewed text only) and the editor API
for writing, submitting and reviewing articles.

Every customer-facing read goes through `queries.published()`, so an unreviewed revision cannot leak
here any more than on the pages. Editor endpoints need a logged-in user with the writer or reviewer
permission and, being cookie-authenticated, a CSRF token.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import translation
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate
from ninja.security import django_auth
from ninja.throttling import AnonRateThrottle, AuthRateThrottle
from ninja.utils import check_csrf

from watchkeeper.accounts.queries import has_second_factor, is_staff_member
from watchkeeper.helpcenter import actions, queries
from watchkeeper.helpcenter.diff import unified_diff
from watchkeeper.helpcenter.models import (
    Article,
    ArticleTranslation,
    Category,
    ReviewComment,
    Revision,
    Section,
)
from watchkeeper.helpcenter.rendering import render_markdown

router = Router(tags=["help center"])
editor_router = Router(tags=["help center editor"], auth=django_auth)

if TYPE_CHECKING:
    LanguageCode = str
else:  # built from settings so the schema lists exactly the site's languages
    LanguageCode = Literal[tuple(code for code, _name in settings.LANGUAGES)]
LevelName = Literal["beginner", "intermediate", "advanced"]


def _language(requested: str | None) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    if requested in codes:
        return str(requested)
    return translation.get_language() or settings.LANGUAGE_CODE


# ---------------------------------------------------------------- customer API


class SectionOut(Schema):
    slug: str
    name: str


class CategoryOut(Schema):
    slug: str
    name: str
    description: str
    icon: str
    sections: list[SectionOut]
    article_count: int


@router.get("/categories", response=list[CategoryOut], auth=None)
def list_categories(request: HttpRequest, language: str | None = None) -> list[CategoryOut]:
    """Categories and their sections, named in `language` (default: the request's language)."""
    language = _language(language)
    counts: dict[int, int] = {}
    for row in queries.articles_for_listing(language):
        category_id = row["section"].category_id
        counts[category_id] = counts.get(category_id, 0) + 1
    return [
        CategoryOut(
            slug=category.slug,
            name=category.name_in(language),
            description=category.description_in(language),
            icon=category.icon,
            sections=[
                SectionOut(slug=section.slug, name=section.name_in(language))
                for section in category.sections.all()
            ],
            article_count=counts.get(category.pk, 0),
        )
        for category in Category.objects.prefetch_related("sections")
    ]


class ArticleSummaryOut(Schema):
    slug: str
    title: str
    summary: str
    level: str
    category: str
    section: str
    language: str = Field(description="The language of the text returned.")
    is_fallback: bool = Field(description="True when the article is not translated and English is shown.")
    url: str


class ArticleFilters(Schema):
    language: str | None = None
    category: str | None = None
    level: LevelName | None = None


@router.get("/articles", response=list[ArticleSummaryOut], auth=None)
@paginate(PageNumberPagination, page_size=20)
def list_articles(request: HttpRequest, filters: Query[ArticleFilters]) -> list[ArticleSummaryOut]:
    """Published articles, in the requested language where translated, else in English."""
    language = _language(filters.language)
    category = get_object_or_404(Category, slug=filters.category) if filters.category else None
    return [
        ArticleSummaryOut(
            slug=row["slug"],
            title=row["title"],
            summary=row["summary"],
            level=row["level"],
            category=row["section"].category.slug,
            section=row["section"].slug,
            language=row["language"],
            is_fallback=row["is_fallback"],
            url=queries.article_url(row["slug"], row["language"]),
        )
        for row in queries.articles_for_listing(language, category=category, level=filters.level or "")
    ]


class HeadingOut(Schema):
    level: int
    anchor: str
    text: str


class RelatedOut(Schema):
    slug: str
    title: str
    url: str


class ArticleOut(ArticleSummaryOut):
    body_html: str = Field(description="Sanitised HTML rendered from the Markdown body.")
    headings: list[HeadingOut]
    tags: list[str]
    outdated: bool = Field(description="The source text changed since this translation was made.")
    published_at: datetime | None
    last_reviewed_at: datetime | None
    related: list[RelatedOut]


@router.get("/articles/{slug}", response=ArticleOut, auth=None)
def get_article(request: HttpRequest, slug: str, language: str | None = None) -> ArticleOut:
    language = _language(language)
    article = get_object_or_404(Article.objects.select_related("section__category"), slug=slug)
    item, is_fallback = queries.published_translation(article, language)
    if item is None or item.published_revision is None:
        raise Http404("No published article has this slug.")
    revision = item.published_revision
    rendered = render_markdown(revision.body)
    related = queries.published_articles(list(article.related.values_list("pk", flat=True)), language)
    return ArticleOut(
        slug=article.slug,
        title=revision.title,
        summary=revision.summary,
        level=article.level,
        category=article.section.category.slug,
        section=article.section.slug,
        language=item.language,
        is_fallback=is_fallback,
        url=queries.article_url(article.slug, item.language),
        body_html=str(rendered.html),
        headings=[HeadingOut(level=h.level, anchor=h.anchor, text=h.text) for h in rendered.headings],
        tags=list(article.tags),
        outdated=item.outdated,
        published_at=item.published_at,
        last_reviewed_at=item.last_reviewed_at,
        related=[
            RelatedOut(
                slug=other.slug,
                title=shown.published_revision.title if shown.published_revision else other.slug,
                url=queries.article_url(other.slug, shown.language),
            )
            for other, shown, _fallback in related.values()
        ],
    )


class FeedbackIn(Schema):
    helpful: bool
    comment: str = Field("", max_length=2000)
    language: str | None = Field(None, description="The translation voted on; default the request's.")


class FeedbackOut(Schema):
    recorded: bool
    helpful: bool


@router.post(
    "/articles/{slug}/feedback",
    response=FeedbackOut,
    auth=None,
    throttle=[AnonRateThrottle("20/m"), AuthRateThrottle("60/m")],
)
def post_feedback(request: HttpRequest, slug: str, payload: FeedbackIn) -> FeedbackOut:
    """ "Was this helpful?": one vote per person (account, or browser session) and translation."""
    # A browser sending its session cookie could be led here by another site: demand the CSRF token.
    if request.COOKIES.get(settings.SESSION_COOKIE_NAME) and check_csrf(request) is not None:
        raise HttpError(403, "CSRF verification failed: send the csrftoken cookie's value as X-CSRFToken.")
    article = get_object_or_404(Article, slug=slug)
    item, _fallback = queries.published_translation(article, _language(payload.language))
    if item is None:
        raise Http404("No published article has this slug.")
    if not request.session.session_key:
        request.session.save()
    user = request.user
    actions.record_feedback(
        item,
        helpful=payload.helpful,
        comment=payload.comment,
        user_id=user.pk if user.is_authenticated else None,
        session_key=request.session.session_key or "",
    )
    return FeedbackOut(recorded=True, helpful=payload.helpful)


# ---------------------------------------------------------------- editor API


def _editor(request: HttpRequest, permission: str | None = None) -> Any:
    """The user, if they may write (or hold `permission`); staff must have enrolled a second factor,
    as on the console pages, so a stolen password alone cannot change what customers read."""
    user = request.user
    if isinstance(user, AnonymousUser):
        raise PermissionDenied
    allowed = (
        user.has_perm(permission)
        if permission
        else user.has_perm(actions.WRITE_PERMISSION) or user.has_perm(actions.REVIEW_PERMISSION)
    )
    if not allowed:
        raise PermissionDenied
    if is_staff_member(user) and not has_second_factor(user):
        raise HttpError(403, "Set up two-factor authentication in your account before using the editor API.")
    return user


def _translation(slug: str, language: str) -> ArticleTranslation:
    item = queries.editor_translation(slug, language)
    if item is None:
        raise Http404("This article has no translation in that language.")
    return item


class RevisionIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    summary: str = Field("", max_length=400)
    body: str = Field(..., min_length=1, max_length=200_000, description="Markdown.")
    sample_questions: list[str] = Field(default_factory=list, max_length=500)
    note: str = Field("", max_length=300, description="What changed and why, for the reviewer.")

    def as_input(self) -> actions.RevisionInput:
        return actions.RevisionInput(
            title=self.title,
            body=self.body,
            summary=self.summary,
            sample_questions=self.sample_questions,
            note=self.note,
        )


class ArticleCreateIn(RevisionIn):
    slug: str = Field(..., pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)
    category: str
    section: str
    level: LevelName = "beginner"
    language: LanguageCode = "en"
    tags: list[str] = Field(default_factory=list, max_length=20)


class RevisionOut(Schema):
    number: int
    title: str
    summary: str
    body: str
    sample_questions: list[str]
    note: str
    author: str | None
    created_at: datetime
    submitted_at: datetime | None
    approved_at: datetime | None
    approved_by: str | None

    @staticmethod
    def resolve_author(revision: Revision) -> str | None:
        return revision.author.email if revision.author else None

    @staticmethod
    def resolve_approved_by(revision: Revision) -> str | None:
        return revision.approved_by.email if revision.approved_by else None


class CommentOut(Schema):
    verdict: str
    body: str
    author: str | None
    revision: int | None
    created_at: datetime

    @staticmethod
    def resolve_author(comment: ReviewComment) -> str | None:
        return comment.author.email if comment.author else None

    @staticmethod
    def resolve_revision(comment: ReviewComment) -> int | None:
        return comment.revision.number if comment.revision else None


class TranslationOut(Schema):
    slug: str
    language: str
    workflow: str
    outdated: bool
    publish_at: datetime | None
    published_revision: int | None
    working_revision: RevisionOut | None
    last_reviewed_at: datetime | None

    @staticmethod
    def resolve_slug(item: ArticleTranslation) -> str:
        return item.article.slug

    @staticmethod
    def resolve_published_revision(item: ArticleTranslation) -> int | None:
        return item.published_revision.number if item.published_revision else None


class TranslationDetailOut(TranslationOut):
    revisions: list[RevisionOut]
    comments: list[CommentOut]

    @staticmethod
    def resolve_revisions(item: ArticleTranslation) -> Any:
        return item.revisions.select_related("author", "approved_by").order_by("-number")

    @staticmethod
    def resolve_comments(item: ArticleTranslation) -> Any:
        return item.comments.select_related("author", "revision")


class EditorFilters(Schema):
    workflow: Literal["draft", "in_review", "scheduled", "published", "archived"] | None = None
    language: str | None = None
    outdated: bool | None = None


@editor_router.get("/articles", response=list[TranslationOut])
@paginate(PageNumberPagination, page_size=50)
def editor_list(request: HttpRequest, filters: Query[EditorFilters]) -> QuerySet[ArticleTranslation]:
    """Every translation in every state, for writers and reviewers."""
    _editor(request)
    return queries.editor_translations(
        workflow=filters.workflow or "", language=filters.language or "", outdated=filters.outdated
    )


@editor_router.post("/articles", response={201: TranslationOut})
def editor_create(request: HttpRequest, payload: ArticleCreateIn) -> Status[ArticleTranslation]:
    """A new article as a draft in `language`; nobody sees it until it is submitted and approved."""
    user = _editor(request, actions.WRITE_PERMISSION)
    section = get_object_or_404(Section, category__slug=payload.category, slug=payload.section)
    try:
        item = actions.create_article(
            user,
            section=section,
            slug=payload.slug,
            level=payload.level,
            language=payload.language,
            content=payload.as_input(),
            tags=[tag.strip()[:40] for tag in payload.tags if tag.strip()],
        )
    except actions.WorkflowError as error:
        raise HttpError(409, str(error)) from error
    return Status(201, _translation(item.article.slug, item.language))


@editor_router.get("/articles/{slug}/{language}", response=TranslationDetailOut)
def editor_detail(request: HttpRequest, slug: str, language: str) -> ArticleTranslation:
    _editor(request)
    return _translation(slug, language)


@editor_router.put("/articles/{slug}/{language}", response={200: TranslationOut, 201: TranslationOut})
def editor_save(
    request: HttpRequest,
    slug: str,
    language: LanguageCode,
    payload: RevisionIn,
) -> Status[ArticleTranslation]:
    """Save a new draft revision; creates the translation if the article has none in `language`."""
    user = _editor(request, actions.WRITE_PERMISSION)
    article = get_object_or_404(Article, slug=slug)
    try:
        existing = article.translations.filter(language=language).first()
        if existing is None:
            actions.add_translation(user, article, language, payload.as_input())
            status = 201
        else:
            actions.save_revision(user, existing, payload.as_input())
            status = 200
    except actions.WorkflowError as error:
        raise HttpError(409, str(error)) from error
    return Status(status, _translation(slug, language))


class ApproveIn(Schema):
    publish_at: datetime | None = Field(None, description="Publish later instead of now.")
    comment: str = Field("", max_length=2000)


class CommentIn(Schema):
    comment: str = Field(..., min_length=1, max_length=2000)


def _step(request: HttpRequest, slug: str, language: str, permission: str, step: Any) -> ArticleTranslation:
    user = _editor(request, permission)
    item = _translation(slug, language)
    try:
        step(user, item)
    except actions.WorkflowError as error:
        raise HttpError(409, str(error)) from error
    return _translation(slug, language)


@editor_router.post("/articles/{slug}/{language}/submit", response=TranslationOut)
def editor_submit(request: HttpRequest, slug: str, language: str) -> ArticleTranslation:
    return _step(request, slug, language, actions.WRITE_PERMISSION, actions.submit_for_review)


@editor_router.post("/articles/{slug}/{language}/approve", response=TranslationOut)
def editor_approve(request: HttpRequest, slug: str, language: str, payload: ApproveIn) -> ArticleTranslation:
    """Approve the revision in review (not your own): publish now or at `publish_at`."""
    return _step(
        request,
        slug,
        language,
        actions.REVIEW_PERMISSION,
        lambda user, item: actions.approve(
            user, item, publish_at=payload.publish_at, comment=payload.comment
        ),
    )


@editor_router.post("/articles/{slug}/{language}/send-back", response=TranslationOut)
def editor_send_back(
    request: HttpRequest, slug: str, language: str, payload: CommentIn
) -> ArticleTranslation:
    return _step(
        request,
        slug,
        language,
        actions.REVIEW_PERMISSION,
        lambda user, item: actions.send_back(user, item, payload.comment),
    )


@editor_router.post("/articles/{slug}/{language}/archive", response=TranslationOut)
def editor_archive(request: HttpRequest, slug: str, language: str) -> ArticleTranslation:
    return _step(request, slug, language, actions.REVIEW_PERMISSION, actions.archive)


@editor_router.post("/articles/{slug}/{language}/restore", response=TranslationOut)
def editor_restore(request: HttpRequest, slug: str, language: str) -> ArticleTranslation:
    return _step(request, slug, language, actions.REVIEW_PERMISSION, actions.restore)


class DiffOut(Schema):
    old: int | None
    new: int
    unified: str


@editor_router.get("/articles/{slug}/{language}/diff", response=DiffOut)
def editor_diff(
    request: HttpRequest, slug: str, language: str, old: int | None = None, new: int | None = None
) -> DiffOut:
    """A unified diff between two revisions; default the published one against the working one."""
    _editor(request)
    item = _translation(slug, language)
    revisions = {revision.number: revision for revision in item.revisions.all()}
    new_number = new or (item.working_revision.number if item.working_revision else 0)
    old_number = (
        old if old is not None else (item.published_revision.number if item.published_revision else None)
    )
    if new_number not in revisions or (old_number is not None and old_number not in revisions):
        raise Http404("No such revision.")
    old_revision = revisions[old_number] if old_number is not None else None
    return DiffOut(old=old_number, new=new_number, unified=unified_diff(old_revision, revisions[new_number]))
