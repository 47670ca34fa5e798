"""Customer pages of the help center: browse, read, search, vote, and get further help."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from watchkeeper.core.views import reverse_if_available
from watchkeeper.helpcenter import actions, queries
from watchkeeper.helpcenter.models import Article, Category, Level
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
