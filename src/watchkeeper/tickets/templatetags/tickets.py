from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from watchkeeper.tickets.rendering import render_message

register = template.Library()


@register.filter
def message_html(body: str) -> SafeString:
    return render_message(body)
