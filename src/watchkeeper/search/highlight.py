"""Highlighted snippets: the passage of a document that holds most query terms, matches in <mark>.

Where each term occurs in a document's title and snippet source is worked out once, when the document
is indexed (`term_offsets`), and stored with it. A page of results then looks up the query's terms
instead of analysing ten texts again, which for Japanese and Chinese (segmentation) cost more than
finding the results.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from django.utils.safestring import SafeString, mark_safe

from watchkeeper.search import analysis

# Only the start of long documents is analysed for a snippet: enough for a help article's key passage
# and it bounds the offsets stored per document.
SCAN_CHARS = 3000


def snippet_source(text: str) -> str:
    """The part of a summary (or body) that snippets are cut from, as its stored offsets count it."""
    scanned = text[:SCAN_CHARS]
    folded = analysis.normalise(scanned)
    # The analysers' offsets follow the folded text when folding changed its length.
    return folded if len(folded) != len(scanned) else scanned


def term_offsets(tokens: Iterable[analysis.Token]) -> str:
    """Where each term occurs, in the form stored with a document and read by `_matches`.

    One line per term, each line starting with a newline so that one `find` locates a term: the term,
    a tab, then start and end of every occurrence, comma-separated ("\\nbitcoin\\t0,7,40,47"). Terms
    never hold whitespace (the index stores them space-separated).
    """
    spans: dict[str, list[str]] = {}
    for token in tokens:
        spans.setdefault(token.term, []).extend((str(token.start), str(token.end)))
    return "".join(f"\n{term}\t{','.join(offsets)}" for term, offsets in spans.items())


_Match = tuple[int, int, str]  # start, end, term: plain tuples, there are many per page of results


class Highlighter:
    """Marks the terms of one query in titles and snippets, from the offsets stored with documents."""

    def __init__(self, terms: Iterable[str]) -> None:
        # One pass of a compiled pattern over a document's offsets finds every query term (a term line
        # is "\n", the term, a tab and its offsets); looking terms up one by one cost several times more.
        alternatives = "|".join(re.escape(term) for term in sorted(set(terms)))
        self._lines = re.compile(f"\n({alternatives})\t([^\n]*)")

    def _matches(self, offsets: str) -> list[_Match]:
        """The occurrences of the query's terms recorded in `offsets`, in text order."""
        matches: list[_Match] = []
        for term, spans in self._lines.findall(offsets):
            numbers = list(map(int, spans.split(",")))
            matches.extend((start, end, term) for start, end in zip(numbers[::2], numbers[1::2], strict=True))
        matches.sort()
        return matches

    def title(self, text: str, offsets: str) -> SafeString:
        """The whole `text`, escaped, with every matched token wrapped in <mark>."""
        return _render(text, self._matches(offsets), 0, len(text))

    def snippet(self, text: str, offsets: str, width: int = 220) -> SafeString:
        """The `width`-character window with the most distinct matched terms, ellipsised, escaped, marked.

        `offsets` are those of `snippet_source(text)`.
        """
        scanned = snippet_source(text)
        matches = self._matches(offsets)
        if not matches:
            end = min(len(scanned), width)
            return _render(scanned, [], 0, end, prefix="", suffix="…" if end < len(text) else "")
        # The window that starts at a match and holds the most distinct terms; the first one wins ties.
        reachable = len({term for _start, _end, term in matches})
        best_start, best_score = matches[0][0], -1
        for index, (window_start, _end, _term) in enumerate(matches):
            limit = window_start + width
            covered: set[str] = set()
            for match_start, match_end, term in matches[index:]:
                if match_start > limit:  # in text order: nothing further fits
                    break
                if match_end <= limit:
                    covered.add(term)
            if len(covered) > best_score:
                best_start, best_score = window_start, len(covered)
                if best_score == reachable:
                    break
        start = max(0, best_start - width // 4)
        # Start at a word boundary for alphabetic scripts.
        if start > 0 and " " in scanned[start:best_start]:
            start = scanned.index(" ", start) + 1
        end = min(len(scanned), start + width)
        if end < len(scanned) and " " in scanned[end - 20 : end]:
            end = scanned.rindex(" ", end - 20, end)
        inside = [match for match in matches if match[0] >= start and match[1] <= end]
        return _render(
            scanned,
            inside,
            start,
            end,
            prefix="…" if start > 0 else "",
            suffix="…" if end < len(text) else "",
        )


def _render(
    text: str, matches: list[_Match], start: int, end: int, prefix: str = "", suffix: str = ""
) -> SafeString:
    """`text[start:end]` escaped, matches (in text order) in <mark>.

    Overlapping matches (a word and its character pairs, syllable pairs) share one <mark>, so every
    matched character is marked. `html.escape` is what Django's `escape` calls, without its lazy-string
    wrapper, which costs more than the escaping for the many short pieces of a highlighted page.
    """
    spans: list[list[int]] = []
    for match_start, match_end, _term in matches:
        if spans and match_start < spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], match_end)
        else:
            spans.append([match_start, match_end])
    parts = [prefix]
    position = start
    for span_start, span_end in spans:
        parts.append(html.escape(text[position:span_start]))
        parts.append(f"<mark>{html.escape(text[span_start:span_end])}</mark>")
        position = span_end
    parts.append(html.escape(text[position:end]))
    parts.append(suffix)
    return mark_safe("".join(parts))  # noqa: S308 — every piece of document text above is escaped
