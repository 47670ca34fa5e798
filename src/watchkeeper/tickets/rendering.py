"""Messages as safe HTML: Markdown, sanitised with an allow-list, with transaction ids and wallet
addresses turned into block-explorer links so an agent checks a deposit in one click."""

from __future__ import annotations

import re
from urllib.parse import quote

import markdown
import nh3
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

# No images: a customer's message must not load anything (tracking pixels) when an agent opens it.
_TAGS = {"p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr", "del"}
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}

# On-chain identifiers in running text: transaction ids (64 hex digits, 0x first on EVM chains), EVM
# addresses, bech32 addresses (bc1, ltc1, tb1), Bitcoin-style base58 addresses (1..., 3...) and Tron's
# (T...). Word boundaries keep them from matching inside longer tokens.
CHAIN_ID = re.compile(
    r"(?<![\w/])(?:"
    r"0x[0-9a-fA-F]{64}|[0-9a-fA-F]{64}|0x[0-9a-fA-F]{40}"
    r"|(?:bc|ltc|tb)1[02-9ac-hj-np-z]{25,87}"
    r"|[13][1-9A-HJ-NP-Za-km-z]{25,34}|T[1-9A-HJ-NP-Za-km-z]{33}"
    r")(?![\w/])"
)
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")


def explorer_url(identifier: str) -> str:
    return str(settings.BLOCK_EXPLORER_URL).format(quote(identifier, safe=""))


def _link_chain_ids(html: str) -> str:
    parts = _TAG_OR_TEXT.split(html)
    inside_link = 0
    for index, part in enumerate(parts):
        if part.startswith("<"):
            lowered = part.lower()
            if lowered.startswith("<a ") or lowered == "<a>":
                inside_link += 1
            elif lowered == "</a>":
                inside_link = max(inside_link - 1, 0)
            continue
        if not inside_link:
            parts[index] = CHAIN_ID.sub(
                lambda match: (
                    f'<a href="{explorer_url(match.group(0))}" class="chain-id" rel="noopener noreferrer"'
                    f' target="_blank">{match.group(0)}</a>'
                ),
                part,
            )
    return "".join(parts)


# A one-line text without these characters, starting with a letter or digit and not with "1." (an ordered
# list), has no Markdown in it: Markdown makes it one paragraph, unchanged, and the sanitiser keeps it as
# it is. Most chat messages are such lines, and Markdown + nh3 cost ~0.17 ms each (benchmarks/chat_load.py).
_MARKUP_CHARACTERS = frozenset("\\`*_[]<>&")
_LIST_START = re.compile(r"\d+\.")


def _is_plain_line(body: str) -> bool:
    # isprintable() is False for line breaks, tabs, non-breaking spaces and control characters.
    return (
        body[:1].isalnum()
        and body.isprintable()
        and _MARKUP_CHARACTERS.isdisjoint(body)
        and _LIST_START.match(body) is None
    )


def render_message(body: str) -> SafeString:
    # Nothing to escape in a plain line: <, > and & are among the markup characters it has none of.
    html = f"<p>{body}</p>" if _is_plain_line(body) else _markdown_html(body)
    return mark_safe(_link_chain_ids(html))  # noqa: S308 — sanitised; our own links added after


def _markdown_html(body: str) -> str:
    rendered = markdown.markdown(body, extensions=["fenced_code", "nl2br", "sane_lists"])
    return nh3.clean(rendered, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"https", "http", "mailto"})
