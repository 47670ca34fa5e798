"""Customer pages of the help center: browse, read, search, vote, and get further help."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from watchkeeper.core.views import render_console, reverse_if_available
from watchkeeper.helpcenter import actions, queries
from watchkeeper.helpcenter.diff import revision_diff
from watchkeeper.helpcenter.forms import (
    ApproveForm,
    AttachmentForm,
    NewArticleForm,
    RevisionForm,
    SendBackForm,
)
from watchkeeper.helpcenter.models import Article, ArticleTranslation, Attachment, Category, Level, Workflow
from watchkeeper.helpcenter.rendering import render_markdown
from watchkeeper.search import actions as search_actions
from watchkeeper.search import queries as search_queries

ANONYMOUS_HISTORY_KEY = "helpcenter_search_history"
ANONYMOUS_HISTORY_LENGTH = 20


def _language() -> str:
    return get_language() or "en"


def _session_key(request: HttpRequest) -> str:
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key or ""


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    language = _language()
    categories = Category.objects.all()
    listing = queries.articles_for_listing(language)
    popular = sorted(listing, key=lambda row: row["article"].order)[:8]
    return render(
        request,
        "helpcenter/home.html",
        {
            "categories": [
                {
                    "category": category,
                    "name": category.name_in(language),
                    "description": category.description_in(language),
                }
                for category in categories
            ],
            "popular": popular,
            "levels": Level.choices,
        },
    )


@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    language = _language()
    item = get_object_or_404(Category, slug=slug)
    level = request.GET.get("level", "")
    if level not in Level.values:
        level = ""
    rows = queries.articles_for_listing(language, category=item, level=level)
    sections: dict[int, dict] = {}
    for row in rows:
        section = row["section"]
        sections.setdefault(
            section.pk, {"name": section.name_in(language), "order": section.order, "articles": []}
        )
        sections[section.pk]["articles"].append(row)
    return render(
        request,
        "helpcenter/category.html",
        {
            "category": item,
            "category_name": item.name_in(language),
            "category_description": item.description_in(language),
            "sections": sorted(sections.values(), key=lambda section: section["order"]),
            "levels": Level.choices,
            "level": level,
        },
    )


@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    language = _language()
    item = get_object_or_404(Article.objects.select_related("section__category"), slug=slug)
    translation, is_fallback = queries.published_translation(item, language)
    if translation is None or translation.published_revision is None:
        raise Http404(_("This article is not available."))
    revision = translation.published_revision
    rendered = render_markdown(revision.body)
    related = []
    for other in item.related.all():
        other_translation, _other_fallback = queries.published_translation(other, language)
        if other_translation and other_translation.published_revision:
            related.append({"slug": other.slug, "title": other_translation.published_revision.title})
    vote = request.session.get(f"helpcenter_vote_{translation.pk}")
    return render(
        request,
        "helpcenter/article.html",
        {
            "article": item,
            "translation": translation,
            "revision": revision,
            "rendered": rendered,
            "is_fallback": is_fallback,
            "category_name": item.section.category.name_in(language),
            "section_name": item.section.name_in(language),
            "related": related,
            "vote": vote,
            "level_label": Level(item.level).label,
            "contact_url": reverse("helpcenter:contact") + "?" + urlencode({"article": item.slug}),
        },
    )


@require_POST
def feedback(request: HttpRequest, slug: str) -> HttpResponse:
    item = get_object_or_404(Article, slug=slug)
    translation, _fallback = queries.published_translation(item, request.POST.get("language") or _language())
    if translation is None:
        raise PermissionDenied
    helpful = request.POST.get("helpful") == "yes"
    comment = request.POST.get("comment", "")
    actions.record_feedback(
        translation,
        helpful=helpful,
        comment=comment,
        user_id=request.user.pk if request.user.is_authenticated else None,
        session_key=_session_key(request),
    )
    request.session[f"helpcenter_vote_{translation.pk}"] = "yes" if helpful else "no"
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "helpcenter/partials/feedback_thanks.html", {"helpful": helpful})
    messages.success(request, _("Thank you for your feedback."))
    return redirect("helpcenter:article", slug=slug)


def _remember_anonymous_search(request: HttpRequest, query: str) -> None:
    history = [entry for entry in request.session.get(ANONYMOUS_HISTORY_KEY, []) if entry != query]
    request.session[ANONYMOUS_HISTORY_KEY] = [query, *history][:ANONYMOUS_HISTORY_LENGTH]


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:300]
    category_slug = request.GET.get("category", "")
    level = request.GET.get("level", "")
    level = level if level in Level.values else ""
    language = request.GET.get("language") or _language()
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    results = None
    log_id = None
    if query:
        results = search_queries.search(
            query, language=language, category=category_slug, level=level, page=page, per_page=10
        )
        if page == 1:
            log = search_actions.log_query(
                query=query,
                language=results.language,
                result_count=results.total,
                user_id=request.user.pk if request.user.is_authenticated else None,
                session_key=_session_key(request),
            )
            log_id = log.pk
            request.session["helpcenter_last_search"] = log.pk
            if not request.user.is_authenticated:
                _remember_anonymous_search(request, query)
        else:
            log_id = request.session.get("helpcenter_last_search")
    return render(
        request,
        "helpcenter/search.html",
        {
            "query": query,
            "results": results,
            "log_id": log_id,
            "categories": [(item.slug, item.name_in(_language())) for item in Category.objects.all()],
            "category": category_slug,
            "levels": Level.choices,
            "level": level,
        },
    )


@require_GET
def follow_result(request: HttpRequest, log_id: int, document_id: int) -> HttpResponse:
    """Record which result a search led to, then go there."""
    url = search_queries.document_url(document_id)
    if url is None:
        raise Http404
    search_actions.record_click(
        log_id,
        document_id,
        user_id=request.user.pk if request.user.is_authenticated else None,
        session_key=request.session.session_key or "",
    )
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        raise PermissionDenied
    return HttpResponseRedirect(url)


@require_GET
def autocomplete(request: HttpRequest) -> HttpResponse:
    prefix = request.GET.get("q", "")
    completions = search_queries.autocomplete(prefix, language=request.GET.get("language") or _language())
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "helpcenter/partials/autocomplete.html", {"completions": completions})
    return JsonResponse({"completions": [completion.__dict__ for completion in completions]})


def history(request: HttpRequest) -> HttpResponse:
    """Search history: the account's (from the query log) or, signed out, this browser session's."""
    if request.method == "POST":
        if request.POST.get("clear"):
            if request.user.is_authenticated:
                search_actions.clear_search_history(request.user.pk)
            request.session[ANONYMOUS_HISTORY_KEY] = []
            messages.success(request, _("Your search history is cleared."))
        elif request.POST.get("forget"):
            forget = request.POST["forget"]
            if request.user.is_authenticated:
                search_actions.forget_search(request.user.pk, forget)
            request.session[ANONYMOUS_HISTORY_KEY] = [
                entry for entry in request.session.get(ANONYMOUS_HISTORY_KEY, []) if entry != forget
            ]
            messages.success(request, _("The search was removed from your history."))
        return redirect("helpcenter:history")
    if request.user.is_authenticated:
        entries = [
            {"query": entry.query, "key": entry.normalised, "when": entry.last_searched}
            for entry in search_queries.search_history(request.user.pk)
        ]
    else:
        entries = [
            {"query": query, "key": query, "when": None}
            for query in request.session.get(ANONYMOUS_HISTORY_KEY, [])
        ]
    return render(request, "helpcenter/history.html", {"entries": entries})


@require_GET
def contact(request: HttpRequest) -> HttpResponse:
    """ "Still need help?": the ways to reach a person, carrying the article the customer was reading."""
    language = _language()
    context_article = None
    slug = request.GET.get("article", "")
    if slug:
        found = Article.objects.filter(slug=slug).first()
        if found is not None:
            translation, _fallback = queries.published_translation(found, language)
            if translation and translation.published_revision:
                context_article = {"slug": found.slug, "title": translation.published_revision.title}
    carry = urlencode({"article": slug}) if context_article else ""
    channels = []
    for name, label in (("chat:start", _("Chat with us")), ("tickets:new", _("Open a ticket"))):
        url = reverse_if_available(name)
        if url:
            channels.append({"label": label, "url": f"{url}?{carry}" if carry else url})
    return render(request, "helpcenter/contact.html", {"article": context_article, "channels": channels})


# ---------------------------------------------------------------- editors' console

EDITOR_PAGE_SIZE = 50
GAP_WINDOWS = (7, 30, 90)


def editor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Console pages for people who write or review articles; everyone else gets 403."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (
            request.user.has_perm(actions.WRITE_PERMISSION)
            or request.user.has_perm(actions.REVIEW_PERMISSION)
        ):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return guarded


def _translation_or_404(slug: str, language: str) -> ArticleTranslation:
    item = queries.editor_translation(slug, language)
    if item is None:
        raise Http404
    return item


@editor_required
@require_GET
def editor_articles(request: HttpRequest) -> HttpResponse:
    workflow = request.GET.get("workflow", "")
    workflow = workflow if workflow in Workflow.values else ""
    language = request.GET.get("language", "")
    language = language if language in dict(settings.LANGUAGES) else ""
    outdated = request.GET.get("outdated") == "1"
    text = request.GET.get("q", "").strip()[:100]
    items = queries.editor_translations(
        workflow=workflow, language=language, outdated=True if outdated else None, text=text
    )
    page = Paginator(items, EDITOR_PAGE_SIZE).get_page(request.GET.get("page"))
    filters = urlencode({key: value for key, value in request.GET.items() if key != "page" and value})
    return render_console(
        request,
        "helpcenter/editor/articles.html",
        "editor:articles",
        {
            "page": page,
            "workflows": Workflow.choices,
            "languages": settings.LANGUAGES,
            "workflow": workflow,
            "language": language,
            "outdated": outdated,
            "text": text,
            "filters": filters,
        },
    )


@editor_required
@require_GET
def editor_review_queue(request: HttpRequest) -> HttpResponse:
    return render_console(
        request,
        "helpcenter/editor/review_queue.html",
        "editor:review",
        {
            "items": queries.review_queue(),
            "may_review": request.user.has_perm(actions.REVIEW_PERMISSION),
        },
    )


@editor_required
def editor_new_article(request: HttpRequest) -> HttpResponse:
    form = NewArticleForm(request.POST or None, initial={"language": _language()})
    if request.method == "POST" and form.is_valid():
        try:
            item = actions.create_article(
                request.user,
                section=form.cleaned_data["section"],
                slug=form.cleaned_data["slug"],
                level=form.cleaned_data["level"],
                language=form.cleaned_data["language"],
                content=form.revision_input(),
                tags=form.tag_list(),
            )
        except actions.WorkflowError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Draft saved. Submit it for review when it is ready."))
            return redirect("editor:edit", slug=item.article.slug, language=item.language)
    return render_console(request, "helpcenter/editor/new_article.html", "editor:articles", {"form": form})


@editor_required
def editor_edit(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    """Write a new revision of a translation, or the first one of a missing translation."""
    if language not in dict(settings.LANGUAGES):
        raise Http404
    article = get_object_or_404(Article.objects.select_related("section__category"), slug=slug)
    item = queries.editor_translation(slug, language)
    source = (
        queries.editor_translation(slug, article.source_language)
        if language != article.source_language
        else None
    )
    if item is not None and item.working_revision is not None:
        initial = RevisionForm.initial_from(item.working_revision)
    elif source is not None and (source.published_revision or source.working_revision) is not None:
        # Translate the reviewed source text, not a draft that may still be sent back.
        initial = RevisionForm.initial_from(source.published_revision or source.working_revision)
    else:
        initial = {}
    form = RevisionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if item is None:
                actions.add_translation(request.user, article, language, form.revision_input())
            else:
                actions.save_revision(request.user, item, form.revision_input())
        except actions.WorkflowError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Draft saved. Customers still see the published version."))
            return redirect("editor:edit", slug=slug, language=language)
    revisions = item.revisions.select_related("author", "approved_by").order_by("-number") if item else []
    translations = {other.language: other for other in article.translations.all()}
    return render_console(
        request,
        "helpcenter/editor/edit.html",
        "editor:articles",
        {
            "article": article,
            "item": item,
            "language": language,
            "language_name": dict(settings.LANGUAGES)[language],
            "form": form,
            "revisions": revisions,
            "comments": item.comments.select_related("author", "revision")[:20] if item else [],
            "language_tabs": [(code, name, translations.get(code)) for code, name in settings.LANGUAGES],
            "translating_from_source": item is None and source is not None,
            "attachments": article.attachments.order_by("-created_at"),
            "attachment_form": AttachmentForm(),
            "approve_form": ApproveForm(),
            "send_back_form": SendBackForm(),
            "may_write": request.user.has_perm(actions.WRITE_PERMISSION),
            "may_review": request.user.has_perm(actions.REVIEW_PERMISSION),
            "is_own_revision": bool(
                item and item.working_revision and item.working_revision.author_id == request.user.pk
            ),
            "public_url": queries.article_url(slug, language),
        },
    )


@editor_required
@require_POST
def editor_workflow(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    """One workflow step from the edit or diff page: submit, approve, send back, archive, restore, confirm."""
    item = _translation_or_404(slug, language)
    step = request.POST.get("step", "")
    user = request.user
    try:
        if step == "submit":
            actions.submit_for_review(user, item)
            messages.success(request, _("Submitted for review."))
        elif step == "approve":
            approve_form = ApproveForm(request.POST)
            if not approve_form.is_valid():
                raise actions.WorkflowError(_("Enter a valid date and time to publish at."))
            item = actions.approve(
                user,
                item,
                publish_at=approve_form.cleaned_data["publish_at"],
                comment=approve_form.cleaned_data["comment"],
            )
            if item.workflow == Workflow.SCHEDULED:
                messages.success(request, _("Approved; it will be published at the scheduled time."))
            else:
                messages.success(request, _("Approved and published."))
        elif step == "send_back":
            actions.send_back(user, item, request.POST.get("comment", ""))
            messages.success(request, _("Sent back to the writer with your comment."))
        elif step == "archive":
            actions.archive(user, item)
            messages.success(request, _("Archived: customers no longer see this translation."))
        elif step == "restore":
            actions.restore(user, item)
            messages.success(request, _("Restored."))
        elif step == "confirm":
            actions.confirm_still_accurate(user, item, request.POST.get("comment", ""))
            messages.success(request, _("Marked as reviewed today."))
        else:
            return HttpResponseBadRequest(_("Unknown workflow step."))
    except actions.WorkflowError as error:
        messages.error(request, str(error))
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(back)
    return redirect("editor:edit", slug=slug, language=language)


@editor_required
@require_GET
def editor_diff(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    """What a revision changes: by default the one in progress against what customers see now."""
    item = _translation_or_404(slug, language)
    revisions = {revision.number: revision for revision in item.revisions.select_related("author")}
    if not revisions:
        raise Http404

    def number(name: str, default: int | None) -> int | None:
        try:
            value = int(request.GET.get(name, ""))
        except ValueError:
            return default
        return value if value in revisions else default

    newest = max(revisions)
    new_number = number("new", item.working_revision.number if item.working_revision else newest) or newest
    published_number = item.published_revision.number if item.published_revision else None
    if request.GET.get("old") == "0":
        old_number: int | None = None  # compare against nothing: the whole revision is new
    else:
        old_number = number(
            "old", published_number if published_number != new_number else new_number - 1 or None
        )
    old = revisions.get(old_number) if old_number else None
    new = revisions[new_number]
    return render_console(
        request,
        "helpcenter/editor/diff.html",
        "editor:review",
        {
            "item": item,
            "old": old,
            "new": new,
            "fields": revision_diff(old, new),
            "rendered": render_markdown(new.body),
            "numbers": sorted(revisions, reverse=True),
            "approve_form": ApproveForm(),
            "send_back_form": SendBackForm(),
            "may_review": request.user.has_perm(actions.REVIEW_PERMISSION),
            "in_review": item.workflow == Workflow.IN_REVIEW and new_number == newest,
            "is_own_revision": new.author_id == request.user.pk,
        },
    )


@editor_required
@require_POST
def editor_upload(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(Article, slug=slug)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = actions.add_attachment(
                request.user, article, form.cleaned_data["file"], form.cleaned_data["title"]
            )
        except actions.WorkflowError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Uploaded “%(title)s”. Copy its Markdown into the body to show it.")
                % {"title": attachment.title},
            )
    else:
        messages.error(request, _("Choose a file to upload."))
    return redirect(
        "editor:edit", slug=slug, language=request.POST.get("language") or article.source_language
    )


@editor_required
@require_POST
def editor_delete_attachment(request: HttpRequest, slug: str, attachment_id: int) -> HttpResponse:
    attachment = get_object_or_404(Attachment, pk=attachment_id, article__slug=slug)
    try:
        actions.remove_attachment(request.user, attachment)
    except actions.WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("Attachment deleted. Remove it from any article text that still shows it.")
        )
    return redirect("editor:edit", slug=slug, language=request.POST.get("language") or "en")


@editor_required
@require_GET
def editor_content_gaps(request: HttpRequest) -> HttpResponse:
    """What customers look for and do not find, and which articles leave them unhappy."""
    try:
        days = int(request.GET.get("days", "30"))
    except ValueError:
        days = 30
    days = days if days in GAP_WINDOWS else 30
    unanswered, unclicked = search_queries.content_gaps(since=timezone.now() - timedelta(days=days))
    return render_console(
        request,
        "helpcenter/editor/content_gaps.html",
        "editor:gaps",
        {
            "days": days,
            "windows": GAP_WINDOWS,
            "unanswered": unanswered,
            "unclicked": unclicked,
            "unhelpful": queries.unhelpful_articles(),
        },
    )
