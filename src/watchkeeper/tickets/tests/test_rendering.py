# ruff: noqa: RUF001  (full-width punctuation in customer messages is meant)
"""Message rendering: the shortcut for plain one-line messages must give exactly what Markdown and the
sanitiser give."""

from __future__ import annotations

import pytest

from watchkeeper.tickets.rendering import _is_plain_line, _link_chain_ids, _markdown_html, render_message

PLAIN = [
    "Any news on my withdrawal? (3)",
    "Checking that for you now.",
    'It\'s been 2 hours, "pending" still; fee was 0.5 USDT: too much!',
    f"Where is {'3a1f' * 16}, sent to TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE",
    "我的提币还没到账，请帮我看一下。",
    "入金が反映されていません",
    "Ok  two spaces, trailing space ",
    "email me at someone@example.com or see https://example.com/a?b=1%20c",
    "2 BTC | 3 ETH ~ 5 SOL = 10 # total + tip {ok} $5 ^2",
]

MARKUP = [
    "1. first step",  # an ordered list
    "**bold** and _em_",
    "a <script>alert(1)</script> & b",
    "- a list item",
    "#hashtag",
    "> quoted",
    "line one\nline two",
    "tab\there",
    "non\u00a0breaking",
    "see [this](https://example.com)",
    "`code`",
]


@pytest.mark.parametrize("body", PLAIN)
def test_a_plain_line_takes_the_shortcut_and_renders_as_markdown_does(body: str) -> None:
    assert _is_plain_line(body)
    assert render_message(body) == _link_chain_ids(_markdown_html(body))


@pytest.mark.parametrize("body", MARKUP)
def test_anything_with_markup_goes_through_markdown_and_the_sanitiser(body: str) -> None:
    assert not _is_plain_line(body)
    assert render_message(body) == _link_chain_ids(_markdown_html(body))


def test_html_is_escaped_and_chain_ids_are_linked() -> None:
    assert "<script>" not in render_message("a <script>alert(1)</script> & b")
    assert "&amp;" in render_message("a & b")
    linked = render_message("Sent to TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE an hour ago")
    assert 'class="chain-id"' in linked and linked.startswith("<p>Sent to <a ")
