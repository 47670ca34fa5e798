"""Console pages where an administrator connects the exchange's own systems: endpoints, their secret,
a test event, and the log of every delivery with its attempts."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from watchkeeper.core.views import render_console
from watchkeeper.webhooks import actions, queries
from watchkeeper.webhooks.forms import EndpointForm
from watchkeeper.webhooks.models import Delivery, Endpoint


@login_required
@permission_required(queries.MANAGE_PERMISSION, raise_exception=True)
def endpoint_list(request: HttpRequest) -> HttpResponse:
    return render_console(request, "webhooks/list.html", "webhooks:list", {"endpoints": queries.endpoints()})


@login_required
@permission_required(queries.MANAGE_PERMISSION, raise_exception=True)
def new_endpoint(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = actions.create_endpoint(
                request.user,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
            )
        except actions.WebhookError as error:
            form.add_error("url", str(error))
        else:
            messages.success(request, _("The endpoint is added. Set its signing secret in the receiver."))
            return redirect("webhooks:detail", endpoint_id=endpoint.pk)
    return render_console(request, "webhooks/form.html", "webhooks:list", {"form": form})


@login_required
@permission_required(queries.MANAGE_PERMISSION, raise_exception=True)
def endpoint_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(Endpoint, pk=endpoint_id)
    form = EndpointForm(
        request.POST or None,
        initial={
            "url": endpoint.url,
            "description": endpoint.description,
            "events": endpoint.events,
            "is_active": endpoint.is_active,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_endpoint(endpoint, **form.cleaned_data)
        except actions.WebhookError as error:
            form.add_error("url", str(error))
        else:
            messages.success(request, _("The endpoint is saved."))
            return redirect("webhooks:detail", endpoint_id=endpoint.pk)
    page = Paginator(queries.deliveries_of(endpoint), 50).get_page(request.GET.get("page"))
    context: dict[str, Any] = {"endpoint": endpoint, "form": form, "page": page}
    return render_console(request, "webhooks/detail.html", "webhooks:list", context)


@login_required
@permission_required(queries.MANAGE_PERMISSION, raise_exception=True)
@require_POST
def test_endpoint(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(Endpoint, pk=endpoint_id)
    actions.send_test_event(endpoint, request.user)
    messages.success(request, _("A test event is on its way; its result appears below in a moment."))
    return redirect("webhooks:detail", endpoint_id=endpoint.pk)


@login_required
@permission_required(queries.MANAGE_PERMISSION, raise_exception=True)
@require_POST
def rotate_secret(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(Endpoint, pk=endpoint_id)
    actions.rotate_secret(endpoint)
    messages.warning(request, _("The secret is replaced. Events are signed with the new one from now on."))
    return redirect("webhooks:detail", endpoint_id=endpoint.pk)


@login_required
@permission_required(queries.MANAGE_PERMISSION, raise_exception=True)
@require_POST
def delete_endpoint(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(Endpoint, pk=endpoint_id)
    actions.delete_endpoint(endpoint)
    messages.success(request, _("The endpoint and its delivery log are deleted."))
    return redirect("webhooks:list")


@login_required
@permission_required(queries.MANAGE_PERMISSION, raise_exception=True)
@require_POST
def retry_delivery(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = get_object_or_404(Delivery, pk=delivery_id)
    actions.retry_now(delivery)
    messages.success(request, _("The delivery is queued again."))
    return redirect("webhooks:detail", endpoint_id=delivery.endpoint_id)
