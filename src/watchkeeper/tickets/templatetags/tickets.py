from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from watchkeeper.tickets.rendering import explorer_url, render_message

register = template.Library()


@register.filter
def message_html(body: str) -> SafeString:
    return render_message(body)


# The block explorer's page for a transaction id or address (settings.BLOCK_EXPLORER_URL).
register.filter("explorer_url", explorer_url)
