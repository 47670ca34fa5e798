"""Small text normalisations shared by the index and the query side (no database access)."""

from __future__ import annotations

import re

from watchkeeper.search import analysis

_SPACES = re.compile(r"\s+")


def normalise_query(query: str) -> str:
    """The form under which the log groups queries: case-folded, single-spaced, Chinese folded."""
    folded = _SPACES.sub(" ", analysis.normalise(query)).strip()
    return analysis.to_simplified(folded) if analysis.has_han(folded) else folded


def fold_for_suggestions(text: str) -> str:
    """Prefix-matching form: like `normalise_query`, with accents removed so "depo" finds "dépôt".

    Accent folding and Traditional-to-Simplified folding keep the length of the text in the common
    cases; the caller checks when it needs offsets to line up.
    """
    return analysis.fold_accents(normalise_query(query=text))
