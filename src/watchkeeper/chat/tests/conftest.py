"""Fixtures for the chat tests: a support team with a chat routing rule, agents, customers, a matcher
whose answers each test chooses, and a recorder of the chat events published."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.accounts.actions import set_presence
from watchkeeper.accounts.models import AgentProfile, CustomerProfile, Language, Skill, Team, User
from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import make_user
from watchkeeper.answers.queries import Answer, SuggestedArticle
from watchkeeper.realtime.events import Event
from watchkeeper.tickets.models import Channel, RoutingRule

# A Monday in June, 10:00 UTC: inside office hours of the teams that have them.
MONDAY_10 = datetime.fromisoformat("2026-06-01T10:00:00+00:00")


@pytest.fixture(autouse=True)
def private_files(settings: Any, tmp_path: Path) -> Path:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def support() -> Team:
    team = Team.objects.create(name="Support", slug="support")
    RoutingRule.objects.create(name="Chats", order=10, channel=Channel.CHAT, team=team, auto_assign=False)
    return team


@pytest.fixture
def experts() -> Team:
    return Team.objects.create(name="Futures experts", slug="futures")


def make_agent(
    team: Team | None,
    name: str,
    *,
    online: bool = True,
    languages: tuple[str, ...] = (),
    skills: tuple[str, ...] = (),
    max_chats: int = 3,
    role: Role = Role.AGENT,
) -> User:
    user = make_user(role, display_name=name)
    profile, _created = AgentProfile.objects.get_or_create(user=user)
    if team is not None:
        profile.teams.add(team)
    profile.max_concurrent_chats = max_chats
    profile.save()
    for code in languages:
        profile.languages.add(Language.objects.get_or_create(code=code, defaults={"name": code})[0])
    for slug in skills:
        profile.skills.add(Skill.objects.get_or_create(slug=slug, defaults={"name": slug})[0])
    if online:
        set_presence(user, "online")
    return user


def make_customer(
    name: str = "Alice", *, vip_tier: int = 0, manager: User | None = None, language: str = "en"
) -> User:
    user = make_user(Role.CUSTOMER, display_name=name, preferred_language=language)
    CustomerProfile.objects.update_or_create(
        user=user, defaults={"vip_tier": vip_tier, "account_manager": manager}
    )
    return User.objects.select_related("customer_profile").get(pk=user.pk)


@pytest.fixture
def customer() -> User:
    return make_customer()


def article(article_id: int, title: str = "How to deposit", confidence: float = 0.9) -> SuggestedArticle:
    return SuggestedArticle(
        article_id=article_id,
        slug=f"article-{article_id}",
        language="en",
        title=title,
        summary=f"Summary of {title}.",
        url=f"/en/help/article-{article_id}/",
        confidence=confidence,
        is_fallback=False,
    )


@dataclass
class FakeMatcher:
    """Answers the bot's questions with what the test queued (decline when nothing is queued)."""

    answers: list[Answer] = field(default_factory=list)
    questions: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, question: str, *, language: str = "en", limit: int = 3) -> Answer:
        self.questions.append((question, language))
        return self.answers.pop(0) if self.answers else Answer(decision="decline", articles=[])


@pytest.fixture(autouse=True)
def matcher(monkeypatch: pytest.MonkeyPatch) -> FakeMatcher:
    fake = FakeMatcher()
    monkeypatch.setattr("watchkeeper.chat.actions.match_question", fake)
    return fake


@dataclass
class Published:
    events: list[tuple[str, Event]] = field(default_factory=list)

    def of(self, kind: type[Event], group: str | None = None) -> list[Any]:
        return [e for g, e in self.events if isinstance(e, kind) and (group is None or g == group)]

    def groups(self, kind: type[Event]) -> list[str]:
        return [g for g, e in self.events if isinstance(e, kind)]

    def clear(self) -> None:
        self.events.clear()


@pytest.fixture(autouse=True)
def published(monkeypatch: pytest.MonkeyPatch) -> Iterator[Published]:
    recorder = Published()

    def record(group: str, event: Event) -> None:
        # Every event must survive its own schema, as the socket will send it.
        type(event).model_validate(event.model_dump(mode="json"))
        recorder.events.append((group, event))

    monkeypatch.setattr("watchkeeper.chat.actions.publish", record)
    yield recorder


Clock = Callable[[float], datetime]
