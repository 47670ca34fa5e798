"""Search and autocomplete over HTTP: the same service as the help-center pages, for widgets and apps."""

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.throttling import AnonRateThrottle, AuthRateThrottle

from watchkeeper.search import actions, queries

router = Router(tags=["search"])
MAX_PER_PAGE = 50


class SearchParams(Schema):
    q: str = Field(..., min_length=1, max_length=300, description="What the customer typed.")
    language: str | None = Field(None, description="Page language; detected from the query when absent.")
    category: str = ""
    level: str = ""
    page: int = Field(1, ge=1, le=10)
    per_page: int = Field(10, ge=1, le=MAX_PER_PAGE)


class HitOut(Schema):
    kind: str
    title: str
    title_html: str = Field(description="The title, HTML-escaped, with matched words in <mark>.")
    snippet_html: str = Field(description="A passage around the matched words, HTML-escaped, with <mark>.")
    url: str
    language: str
    category: str
    level: str
    score: float


class SearchOut(Schema):
    query: str
    language: str = Field(description="The language the query was analysed in.")
    total: int
    page: int
    pages: int
    did_you_mean: str | None
    results: list[HitOut]


@router.get(
    "/", response=SearchOut, auth=None, throttle=[AnonRateThrottle("120/m"), AuthRateThrottle("600/m")]
)
def search(request: HttpRequest, params: Query[SearchParams]) -> SearchOut:
    results = queries.search(
        params.q,
        language=params.language,
        category=params.category,
        level=params.level,
        page=params.page,
        per_page=params.per_page,
    )
    if params.page == 1:
        user = request.user
        actions.log_query(
            query=results.query,
            language=results.language,
            result_count=results.total,
            user_id=user.pk if user.is_authenticated else None,
            session_key=request.session.session_key or "",
            source="api",
        )
    return SearchOut(
        query=results.query,
        language=results.language,
        total=results.total,
        page=results.page,
        pages=results.pages,
        did_you_mean=results.did_you_mean,
        results=[
            HitOut(
                kind=hit.document.kind,
                title=hit.document.title,
                title_html=str(hit.title_html),
                snippet_html=str(hit.snippet_html),
                url=hit.document.url,
                language=hit.document.language,
                category=hit.document.category,
                level=hit.document.level,
                score=round(hit.score, 4),
            )
            for hit in results.hits
        ],
    )


class CompletionOut(Schema):
    text: str
    source: str = Field(description='"title" of an article or a "query" many people searched.')
    url: str = Field(description="The article for a title suggestion; empty for a query.")


@router.get(
    "/autocomplete",
    response=list[CompletionOut],
    auth=None,
    throttle=[AnonRateThrottle("600/m"), AuthRateThrottle("1200/m")],
)
def autocomplete(
    request: HttpRequest,
    q: str = Query(..., min_length=1, max_length=120),
    language: str | None = None,
    limit: int = Query(8, ge=1, le=20),
) -> list[queries.Completion]:
    return queries.autocomplete(q, language=language, limit=limit)
