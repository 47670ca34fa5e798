from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from watchkeeper.accounts import actions
from watchkeeper.accounts.forms import ApiTokenForm, PreferencesForm, PresenceForm
from watchkeeper.accounts.queries import (
    agent_profile_for,
    api_tokens_of,
    has_second_factor,
    is_staff_member,
)
from watchkeeper.core.views import render_console


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, plus remembering the choice on the account for pages and email."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        actions.set_preferred_language(request.user, language)
    return response


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["preferred_language"]
        actions.update_preferences(request.user, **form.cleaned_data)  # type: ignore[arg-type]
        with translation.override(language):
            messages.success(request, _("Your preferences are saved."))
            response = redirect(reverse("preferences"))
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
        return response
    return render(request, "accounts/preferences.html", {"form": form})


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """Personal API keys: made here, shown once, revocable. Staff need a second factor first, as for
    the console, since a key acts with all their rights."""
    may_create = not is_staff_member(request.user) or has_second_factor(request.user)
    form = ApiTokenForm(request.POST or None)
    new_key = ""
    if request.method == "POST" and may_create and form.is_valid():
        try:
            _token, new_key = actions.create_api_token(
                request.user,  # type: ignore[arg-type]
                form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"] or None,
                request=request,
            )
        except actions.ApiTokenError:
            messages.error(
                request,
                _("You have %(count)d active keys; revoke one you no longer use first.")
                % {"count": actions.MAX_API_TOKENS_PER_USER},
            )
        else:
            form = ApiTokenForm()
    response = render(
        request,
        "accounts/api_tokens.html",
        {
            "form": form,
            "new_key": new_key,
            "may_create": may_create,
            "tokens": api_tokens_of(request.user),
        },
    )
    # The page may show a key once; no cache, proxy or back button may keep it.
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def revoke_api_token(request: HttpRequest, token_id: int) -> HttpResponse:
    token = api_tokens_of(request.user).filter(pk=token_id).first()
    if token is None:
        raise Http404
    actions.revoke_api_token(token, actor=request.user, request=request)
    messages.success(request, _("The key “%(name)s” is revoked.") % {"name": token.name})
    return redirect("api_tokens")


@require_POST
@login_required
@permission_required("accounts.use_console", raise_exception=True)
def update_presence(request: HttpRequest) -> HttpResponse:
    form = PresenceForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Choose online, away or offline."))
    profile = actions.set_presence(request.user, form.cleaned_data["presence"])  # type: ignore[arg-type]
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "accounts/partials/presence.html", {"profile": profile})
    return redirect("console:home")


@login_required
@permission_required("accounts.use_console", raise_exception=True)
def console_home(request: HttpRequest) -> HttpResponse:
    profile = agent_profile_for(request.user)  # type: ignore[arg-type]
    teams = list(profile.teams.all()) if profile else []
    return render_console(
        request, "accounts/console.html", "console:home", {"profile": profile, "teams": teams}
    )
