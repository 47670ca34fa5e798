"""Readable differences between two revisions, for reviewers: line by line, with the changed words
inside a changed line marked, and a plain unified diff for the API."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Literal

from django.utils.translation import gettext_lazy as _

from watchkeeper.helpcenter.models import Revision

LineKind = Literal["equal", "added", "removed"]
# Words, runs of spaces and single CJK characters: Chinese and Japanese have no spaces to split on.
_WORD_SPLIT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|\w+|\s+|[^\w\s]", re.UNICODE)
CONTEXT_LINES = 3


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool


@dataclass(frozen=True)
class DiffLine:
    kind: LineKind
    segments: list[Segment]
    old_number: int | None
    new_number: int | None


@dataclass
class FieldDiff:
    name: str
    lines: list[DiffLine | None] = field(default_factory=list)  # None marks skipped unchanged lines

    @property
    def changed(self) -> bool:
        return any(line is not None and line.kind != "equal" for line in self.lines)


def _revision_fields(revision: Revision | None) -> list[tuple[str, list[str]]]:
    names = [_("Title"), _("Summary"), _("Body"), _("Sample questions")]
    if revision is None:
        return [(str(name), []) for name in names]
    values = [
        [revision.title],
        revision.summary.splitlines(),
        revision.body.splitlines(),
        list(revision.sample_questions),
    ]
    return [(str(name), lines) for name, lines in zip(names, values, strict=True)]


def _word_pair(old: str, new: str) -> tuple[list[Segment], list[Segment]]:
    old_words, new_words = _WORD_SPLIT.findall(old), _WORD_SPLIT.findall(new)
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    removed: list[Segment] = []
    added: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            removed.append(Segment("".join(old_words[i1:i2]), False))
            added.append(Segment("".join(new_words[j1:j2]), False))
            continue
        if i2 > i1:
            removed.append(Segment("".join(old_words[i1:i2]), True))
        if j2 > j1:
            added.append(Segment("".join(new_words[j1:j2]), True))
    return removed, added


def _diff_lines(old: list[str], new: list[str]) -> list[DiffLine | None]:
    lines: list[DiffLine | None] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for group in matcher.get_grouped_opcodes(CONTEXT_LINES):
        if lines:
            lines.append(None)
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(
                    DiffLine("equal", [Segment(old[i], False)], i + 1, j + 1)
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                )
                continue
            removed_lines, added_lines = old[i1:i2], new[j1:j2]
            paired = min(len(removed_lines), len(added_lines)) if tag == "replace" else 0
            removed_out: list[DiffLine] = []
            added_out: list[DiffLine] = []
            for offset in range(paired):
                removed, added = _word_pair(removed_lines[offset], added_lines[offset])
                removed_out.append(DiffLine("removed", removed, i1 + offset + 1, None))
                added_out.append(DiffLine("added", added, None, j1 + offset + 1))
            removed_out += [
                DiffLine("removed", [Segment(text, True)], i1 + offset + 1, None)
                for offset, text in enumerate(removed_lines)
                if offset >= paired
            ]
            added_out += [
                DiffLine("added", [Segment(text, True)], None, j1 + offset + 1)
                for offset, text in enumerate(added_lines)
                if offset >= paired
            ]
            lines.extend(removed_out)
            lines.extend(added_out)
    return lines


def revision_diff(old: Revision | None, new: Revision) -> list[FieldDiff]:
    """What changed from `old` (None: nothing published yet) to `new`, field by field."""
    return [
        FieldDiff(name=name, lines=_diff_lines(old_lines, new_lines))
        for (name, old_lines), (_same, new_lines) in zip(
            _revision_fields(old), _revision_fields(new), strict=True
        )
    ]


def unified_diff(old: Revision | None, new: Revision) -> str:
    """The same comparison as a unified diff (the API's format: every tool reads it)."""

    def as_text(revision: Revision | None) -> list[str]:
        if revision is None:
            return []
        return [
            f"# {revision.title}\n",
            *(f"> {line}\n" for line in revision.summary.splitlines()),
            "\n",
            *(line + "\n" for line in revision.body.splitlines()),
            "\n",
            *(f"? {question}\n" for question in revision.sample_questions),
        ]

    return "".join(
        difflib.unified_diff(
            as_text(old),
            as_text(new),
            fromfile=f"r{old.number}" if old else "empty",
            tofile=f"r{new.number}",
        )
    )
