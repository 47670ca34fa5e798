"""Fail when any catalogue has an untranslated or fuzzy entry, or a compiled .mo is older than its .po.

Run by `make messages` and `make lint` (and so by CI). Checks Watchkeeper's own catalogues and the
bridge catalogues that translate django-allauth for the locales it ships none of (pt, vi).
"""

from __future__ import annotations

import ast
import gettext
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "src" / "watchkeeper"
LOCALES = ["zh_Hans", "zh_Hant", "ja", "ko", "ru", "es", "pt", "vi", "tr", "fr", "de", "it"]


def entries(po_path: Path) -> list[dict[str, object]]:
    """Parse just enough of a .po file: msgid, msgstr(s) and flags per entry."""
    result: list[dict[str, object]] = []
    current: dict[str, object] = {}
    field = ""
    for raw in [*po_path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if current:
                result.append(current)
            current, field = {}, ""
            continue
        if line.startswith("#,"):
            current["flags"] = line[2:].strip()
        elif line.startswith("#~"):
            current["obsolete"] = True
        elif line.startswith("#"):
            continue
        elif line.startswith(("msgid ", "msgid_plural ", "msgstr", "msgctxt ")):
            field, _, value = line.partition(" ")
            current.setdefault(field, "")
            current[field] = str(current[field]) + value.strip().strip('"')
        elif line.startswith('"'):
            current[field] = str(current.get(field, "")) + line.strip('"')
    return result


def problems_in(po_path: Path) -> list[str]:
    found = []
    for entry in entries(po_path):
        msgid = str(entry.get("msgid", ""))
        if not msgid or entry.get("obsolete"):
            continue  # the header, or an obsolete entry
        if "fuzzy" in str(entry.get("flags", "")):
            found.append(f"fuzzy: {msgid[:70]!r}")
        translations = [str(value) for key, value in entry.items() if key.startswith("msgstr")]
        if not translations or any(not value for value in translations):
            found.append(f"untranslated: {msgid[:70]!r}")
    return found


def unescape(raw: object) -> str:
    return str(ast.literal_eval('"' + str(raw) + '"'))


def stale_compilation(po_path: Path) -> list[str]:
    """The committed .mo must say what the .po says (compared by content: git does not keep mtimes)."""
    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists():
        return ["no compiled .mo beside the .po: run `make messages`"]
    with mo_path.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    for entry in entries(po_path):
        msgid = unescape(entry.get("msgid", ""))
        if not msgid or entry.get("obsolete") or "msgid_plural" in entry:
            continue
        key = msgid if "msgctxt" not in entry else f"{unescape(entry['msgctxt'])}\x04{msgid}"
        if catalog.get(key) != unescape(entry.get("msgstr", "")):
            return [f"the .mo differs from the .po (first at {msgid[:50]!r}): run `make messages`"]
    return []


def main() -> int:
    catalogues = sorted(ROOT.glob("locale*/*/LC_MESSAGES/*.po"))
    failures = 0
    for locale in LOCALES:
        if not (ROOT / "locale" / locale / "LC_MESSAGES" / "django.po").exists():
            print(f"missing catalogue: locale/{locale}/LC_MESSAGES/django.po")
            failures += 1
    for po_path in catalogues:
        locale = po_path.parent.parent.name
        if locale == "en":
            continue
        problems = problems_in(po_path)
        problems.extend(stale_compilation(po_path))
        check = subprocess.run(
            ["msgfmt", "--check", "-o", "/dev/null", str(po_path)], capture_output=True, text=True
        )
        if check.returncode:
            problems.append("msgfmt --check: " + check.stderr.strip())
        for problem in problems:
            print(f"{po_path.relative_to(ROOT)}: {problem}")
        failures += len(problems)
    print(f"{len(catalogues)} catalogues checked, {failures} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
