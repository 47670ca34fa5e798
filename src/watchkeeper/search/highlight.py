"""Highlighted snippets: the passage of a document that holds most query terms, matches in <mark>."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from watchkeeper.search import analysis

# Only the start of long documents is analysed for a snippet: enough for a help article's key passage
# and it bounds the cost per result (ten results per page).
SCAN_CHARS = 3000


def highlight(text: str, terms: set[str], language: str) -> SafeString:
    """The whole `text`, escaped, with every token whose term is in `terms` wrapped in <mark>."""
    tokens = [token for token in analysis.tokenize(text, language) if token.term in terms]
    return _render(text, tokens, 0, len(text))


def snippet(text: str, terms: set[str], language: str, width: int = 220) -> SafeString:
    """The `width`-character window with the most distinct matched terms, ellipsised, escaped, marked."""
    scanned = text[:SCAN_CHARS]
    folded = analysis.normalise(scanned)
    if len(folded) != len(scanned):  # offsets follow the folded text when folding changed its length
        scanned = folded
    matches = [token for token in analysis.tokenize(scanned, language) if token.term in terms]
    if not matches:
        end = min(len(scanned), width)
        return _render(scanned, [], 0, end, prefix="", suffix="…" if end < len(text) else "")
    best_start, best_score = matches[0].start, -1
    for index, first in enumerate(matches):
        covered = {token.term for token in matches[index:] if token.end <= first.start + width}
        if len(covered) > best_score:
            best_start, best_score = first.start, len(covered)
    start = max(0, best_start - width // 4)
    # Start at a word boundary for alphabetic scripts.
    if start > 0 and " " in scanned[start:best_start]:
        start = scanned.index(" ", start) + 1
    end = min(len(scanned), start + width)
    if end < len(scanned) and " " in scanned[end - 20 : end]:
        end = scanned.rindex(" ", end - 20, end)
    inside = [token for token in matches if token.start >= start and token.end <= end]
    return _render(
        scanned, inside, start, end, prefix="…" if start > 0 else "", suffix="…" if end < len(text) else ""
    )


def _render(
    text: str, tokens: list[analysis.Token], start: int, end: int, prefix: str = "", suffix: str = ""
) -> SafeString:
    parts = [prefix]
    position = start
    for token in sorted(tokens, key=lambda token: token.start):
        if token.start < position:  # overlapping tokens (search-mode segmentation, syllable pairs)
            continue
        parts.append(escape(text[position : token.start]))
        parts.append(f"<mark>{escape(text[token.start : token.end])}</mark>")
        position = token.end
    parts.append(escape(text[position:end]))
    parts.append(suffix)
    return mark_safe("".join(parts))  # noqa: S308 — every piece of document text above is escaped
