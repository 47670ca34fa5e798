"""The FAQ matcher over HTTP: the bot, the ticket form and outside apps ask it which article answers."""

from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from ninja import Field, Router, Schema
from ninja.throttling import AnonRateThrottle, AuthRateThrottle

from watchkeeper.answers.queries import Answer, match_question

router = Router(tags=["answers"])


class MatchIn(Schema):
    question: str = Field(..., min_length=1, max_length=1000)
    language: str | None = Field(None, description="The reader's language; articles are returned in it.")
    limit: int = Field(3, ge=1, le=10)


class MatchedArticleOut(Schema):
    slug: str
    title: str
    summary: str
    url: str
    language: str
    is_fallback: bool
    confidence: float = Field(description="Calibrated probability that this article answers the question.")


class MatchOut(Schema):
    decision: Literal["answer", "suggest", "decline"] = Field(
        description="answer: show the first article; suggest: offer a few; decline: hand over to a person."
    )
    articles: list[MatchedArticleOut]


@router.post(
    "/match", response=MatchOut, auth=None, throttle=[AnonRateThrottle("30/m"), AuthRateThrottle("300/m")]
)
def match(request: HttpRequest, payload: MatchIn) -> Answer:
    codes = {code for code, _name in settings.LANGUAGES}
    language = payload.language if payload.language in codes else translation.get_language() or "en"
    # Answer and its articles are dataclasses with the schema's fields; ninja reads them as they are.
    return match_question(payload.question, language=str(language), limit=payload.limit)
