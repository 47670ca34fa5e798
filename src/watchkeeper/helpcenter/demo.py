"""The demo knowledge base: demo_content/ (written for Watchkeeper) loaded through the real workflow,
each revision written by the demo agent and approved by the demo content reviewer."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from watchkeeper.helpcenter import actions
from watchkeeper.helpcenter.models import Article, Section

CONTENT_DIR = Path(__file__).resolve().parent / "demo_content"
WRITER_EMAIL = "agent@demo.watchkeeper.test"
REVIEWER_EMAIL = "reviewer@demo.watchkeeper.test"
_LANGUAGES = [code for code, _name in settings.LANGUAGES]


def read_markdown_with_front_matter(path: Path) -> tuple[dict[str, Any], str]:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("+++"):
        raise ValueError(f"{path}: expected TOML front matter between +++ lines")
    _, front, body = text.split("+++", 2)
    return tomllib.loads(front), body.strip() + "\n"


def _load_categories() -> dict[tuple[str, str], Section]:
    data = tomllib.loads((CONTENT_DIR / "categories.toml").read_text(encoding="utf-8"))
    sections: dict[tuple[str, str], Section] = {}
    for entry in data["category"]:
        category = actions.save_category(
            entry["slug"],
            entry["name"],
            descriptions=entry.get("description", {}),
            order=entry.get("order", 100),
            icon=entry.get("icon", ""),
        )
        for order, section_entry in enumerate(entry.get("section", []), start=1):
            section = actions.save_section(
                category, section_entry["slug"], section_entry["name"], order=order
            )
            sections[(category.slug, section.slug)] = section
    return sections


def _publish(item: Any, writer: Any, reviewer: Any) -> None:
    actions.submit_for_review(writer, item)
    actions.approve(reviewer, item)


@transaction.atomic
def load_demo_content() -> list[str]:
    if not (CONTENT_DIR / "categories.toml").exists():
        return ["Help center: no demo content found."]
    user_model = get_user_model()
    writer = user_model.objects.get(email=WRITER_EMAIL)
    reviewer = user_model.objects.get(email=REVIEWER_EMAIL)
    sections = _load_categories()
    created = 0
    related: dict[str, list[str]] = {}
    with actions.one_retraining():
        for directory in sorted(path for path in (CONTENT_DIR / "articles").iterdir() if path.is_dir()):
            slug = directory.name
            meta = tomllib.loads((directory / "meta.toml").read_text(encoding="utf-8"))
            related[slug] = meta.get("related", [])
            if Article.objects.filter(slug=slug).exists():
                continue
            languages = [code for code in _LANGUAGES if (directory / f"{code}.md").exists()]
            for index, language in enumerate(["en", *[code for code in languages if code != "en"]]):
                front, body = read_markdown_with_front_matter(directory / f"{language}.md")
                content = actions.RevisionInput(
                    title=front["title"],
                    summary=front.get("summary", ""),
                    body=body,
                    sample_questions=list(front.get("sample_questions", [])),
                    note="Demo content",
                )
                if index == 0:
                    item = actions.create_article(
                        writer,
                        section=sections[(meta["category"], meta["section"])],
                        slug=slug,
                        level=meta.get("level", "beginner"),
                        language="en",
                        content=content,
                        tags=list(meta.get("tags", [])),
                        order=int(meta.get("importance", 100)),
                    )
                    article = item.article
                else:
                    item = actions.add_translation(writer, article, language, content)
                _publish(item, writer, reviewer)
            created += 1
        articles = {article.slug: article for article in Article.objects.all()}
        for slug, others in related.items():
            if slug in articles:
                actions.set_related(
                    articles[slug], [articles[other] for other in others if other in articles]
                )
    total = Article.objects.count()
    return [
        f"Help center: {total} articles ({created} new), "
        f"written by {WRITER_EMAIL}, reviewed by {REVIEWER_EMAIL}."
    ]
