from __future__ import annotations

import pytest
from django.test import Client

from watchkeeper.accounts.tests.factories import make_user
from watchkeeper.search import actions, analysis, queries

pytestmark = pytest.mark.django_db


def _index(object_id: int, language: str, title: str, body: str) -> None:
    actions.index_documents(
        [
            actions.DocumentInput(
                kind="article",
                object_id=object_id,
                language=language,
                title=title,
                body=body,
                url=f"/{language}/help/a/{object_id}/",
            )
        ]
    )


@pytest.mark.parametrize(
    ("article_language", "title", "query"),
    [
        ("zh-hans", "提币一直没有到账怎么办", "提幣沒有到賬"),  # Traditional query, Simplified article
        ("zh-hant", "提幣一直沒有到帳怎麼辦", "提币没有到账"),  # Simplified query, Traditional article
    ],
)
def test_chinese_search_folds_traditional_and_simplified(
    article_language: str, title: str, query: str
) -> None:
    _index(1, article_language, title, "请检查链上状态。")
    _index(2, "zh-hans", "如何开启谷歌验证", "在安全设置中绑定。")
    results = queries.search(query, language="zh-hant" if article_language == "zh-hans" else "zh-hans")
    assert [hit.document.object_id for hit in results.hits][:1] == [1]
    assert "<mark>" in results.hits[0].title_html


def test_analyzers_cover_all_thirteen_languages() -> None:
    samples = {
        "en": "withdrawals pending",
        "zh-hans": "提币审核中",
        "zh-hant": "提幣審核中",
        "ja": "出金が反映されない",
        "ko": "출금이 처리되지 않았어요",
        "ru": "вывод средств",
        "es": "retiros pendientes",
        "pt": "saques pendentes",
        "vi": "rút tiền đang chờ",
        "tr": "para çekme bekliyor",
        "fr": "retraits en attente",
        "de": "Auszahlungen ausstehend",
        "it": "prelievi in sospeso",
    }
    for language, text in samples.items():
        assert analysis.analyze(text, language), language
        assert analysis.detect_language(text) in {language, "zh-hans", "zh-hant"} or language in {
            "pt",
            "es",
            "it",
        }


def test_ranking_prefers_title_matches_and_highlights() -> None:
    _index(1, "en", "Withdrawal pending", "Your withdrawal waits for confirmations on the network.")
    _index(2, "en", "Deposit arrived late", "A withdrawal from another platform can take long.")
    results = queries.search("withdrawal pending", language="en")
    assert [hit.document.object_id for hit in results.hits] == [1, 2]
    assert "<mark>Withdrawal</mark>" in results.hits[0].title_html


def test_did_you_mean_corrects_misspelt_words() -> None:
    _index(1, "en", "Withdrawal pending", "Your withdrawal waits for network confirmations.")
    results = queries.search("withdrawl pendng", language="en")
    assert results.did_you_mean == "withdrawal pending"


def test_autocomplete_matches_words_inside_titles() -> None:
    _index(1, "en", "Why hasn't my withdrawal arrived?", "Check the network.")
    assert [c.text for c in queries.autocomplete("withdr", language="en")] == [
        "Why hasn't my withdrawal arrived?"
    ]
    assert queries.autocomplete("zzz", language="en") == []


def test_search_history_is_per_user_and_deletable(client: Client) -> None:
    _index(1, "en", "Withdrawal pending", "Body")
    alice, bob = make_user(), make_user()
    client.force_login(alice)
    client.get("/en/help/search/", {"q": "withdrawal pending"})
    client.get("/en/help/search/", {"q": "reset 2fa"})
    client.force_login(bob)
    client.get("/en/help/search/", {"q": "kyc levels"})
    assert [entry.query for entry in queries.search_history(bob.pk)] == ["kyc levels"]
    assert {entry.query for entry in queries.search_history(alice.pk)} == {"withdrawal pending", "reset 2fa"}

    client.force_login(alice)
    client.post("/en/help/search/history/", {"forget": "reset 2fa"})
    assert [entry.query for entry in queries.search_history(alice.pk)] == ["withdrawal pending"]
    client.post("/en/help/search/history/", {"clear": "1"})
    assert queries.search_history(alice.pk) == []
    assert [entry.query for entry in queries.search_history(bob.pk)] == ["kyc levels"]


def test_anonymous_history_lives_in_the_session(client: Client) -> None:
    client.get("/en/help/search/", {"q": "withdrawal"})
    page = client.get("/en/help/search/history/")
    assert "withdrawal" in page.content.decode()
    client.post("/en/help/search/history/", {"forget": "withdrawal"})
    assert "withdrawal" not in client.get("/en/help/search/history/").content.decode().split("<main")[-1]


def test_statistics_follow_updates_and_removals() -> None:
    from watchkeeper.search.models import TermStatistic

    _index(1, "en", "Withdrawal pending", "network")
    _index(1, "en", "Withdrawal delayed", "network")  # replaces the first version
    counts = dict(TermStatistic.objects.filter(group="en").values_list("term", "document_count"))
    assert counts[""] == 1 and counts["delay"] == 1 and counts.get("pend", 0) == 0
    actions.remove_documents("article", 1)
    assert TermStatistic.objects.filter(group="en", term="").get().document_count == 0


def _index_filtered(object_id: int, kind: str, category: str, level: str, title: str) -> None:
    actions.index_documents(
        [
            actions.DocumentInput(
                kind=kind,
                object_id=object_id,
                language="en",
                title=title,
                body="Confirmations on the network take time.",
                url=f"/en/help/a/{object_id}/",
                category=category,
                level=level,
            )
        ]
    )


def test_filters_restrict_results_to_kind_category_and_level() -> None:
    _index_filtered(1, "article", "deposits-withdrawals", "beginner", "Withdrawal pending")
    _index_filtered(2, "article", "deposits-withdrawals", "advanced", "Withdrawal pending for hours")
    _index_filtered(3, "article", "fees", "beginner", "Withdrawal fees")
    _index_filtered(4, "topic", "deposits-withdrawals", "beginner", "Withdrawal pending again")

    def found(**filters: str) -> set[int]:
        return {hit.document.object_id for hit in queries.search("withdrawal", language="en", **filters).hits}

    assert found() == {1, 2, 3}
    assert found(category="deposits-withdrawals") == {1, 2}
    assert found(level="beginner") == {1, 3}
    assert found(category="deposits-withdrawals", level="advanced") == {2}
    assert found(kind="topic") == {4}
    assert found(category="kyc") == set()


def test_terms_common_to_every_document_still_find_and_rank_them(monkeypatch: pytest.MonkeyPatch) -> None:
    from watchkeeper.search import backends

    # A help center large enough for "withdrawal" to be a common term: no term selects alone, so the
    # documents holding all of them are ranked.
    monkeypatch.setattr(backends, "COMMON_TERM_MIN", 0)
    _index(1, "en", "Deposit arrived late", "A withdrawal from another platform can take long.")
    _index(2, "en", "Withdrawal pending", "Your withdrawal waits for confirmations.")
    _index(3, "en", "Reset 2FA", "Contact support before any withdrawal.")
    results = queries.search("withdrawal", language="en")
    assert [hit.document.object_id for hit in results.hits][:1] == [2]
    assert results.total == 3


def test_removed_documents_are_no_longer_found() -> None:
    _index(1, "en", "Withdrawal pending", "Your withdrawal waits for confirmations.")
    _index(2, "en", "Withdrawal fees", "Fees depend on the network.")
    actions.remove_documents("article", 1)
    assert [hit.document.object_id for hit in queries.search("withdrawal", language="en").hits] == [2]


def test_optimizing_the_index_keeps_every_document_findable() -> None:
    for number in range(1, 6):  # separate writes, so the FTS5 index has several segments to merge
        _index(number, "en", f"Withdrawal step {number}", "Confirm the withdrawal by e-mail.")
    actions.remove_documents("article", 3)
    actions.optimize_index()
    found = [hit.document.object_id for hit in queries.search("withdrawal", language="en").hits]
    assert sorted(found) == [1, 2, 4, 5]
    _index(6, "en", "Withdrawal limits", "Limits rise with verification.")
    assert queries.search("limits", language="en").total == 1


def test_highlights_mark_every_matched_character_and_pick_the_fullest_passage() -> None:
    from watchkeeper.search.highlight import Highlighter, snippet_source, term_offsets

    title = "谁在控制比特币网络 (12)"
    terms = analysis.analyze("谁在控制比特币网络", "zh-hans")
    marked = Highlighter(terms).title(title, term_offsets(analysis.tokenize(title, "zh-hans")))
    # Words and their overlapping character pairs make one mark, so no matched character is left out.
    assert marked == "<mark>谁在控制比特币网络</mark> (12)"

    body = "Fees are listed in the app. " * 20 + "A pending withdrawal waits for network confirmations."
    offsets = term_offsets(analysis.tokenize(snippet_source(body), "en"))
    passage = Highlighter(analysis.analyze("pending withdrawal", "en")).snippet(body, offsets)
    assert passage.startswith("…") and "<mark>pending</mark> <mark>withdrawal</mark>" in passage


def test_postgres_ranks_only_the_rarest_terms_candidates_past_the_budget() -> None:
    from watchkeeper.search.backends import Selection, _rarest_within_budget

    statistics = {"deposit": 1200, "memo": 300, "tag": 700, "lost": 50, "": 20_000}
    selection = Selection(["deposit", "memo", "tag", "lost"], "OR", statistics, 20_000)
    # 50 + 300 + 700 postings fit in 2,000; deposit's 1,200 more would not.
    assert sorted(_rarest_within_budget(selection)) == ["lost", "memo", "tag"]
    # However common, the rarest term always selects.
    assert _rarest_within_budget(Selection(["deposit"], "OR", {"deposit": 5000}, 20_000)) == ["deposit"]


@pytest.mark.services
def test_postgres_still_scores_every_selective_term_past_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import connection

    from watchkeeper.search import backends

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL backend")
    monkeypatch.setattr(backends, "POSTGRES_CANDIDATE_BUDGET", 1)
    _index(1, "en", "Memo missing on a deposit", "A deposit without its memo waits for support.")
    _index(2, "en", "Memo tips", "Always copy the memo.")
    _index(3, "en", "Deposit times", "Deposit confirmations take time.")
    # Only "memo" or "deposit" (the rarer; here tied) selects, but both count in the score.
    hits = [hit.document.object_id for hit in queries.search("deposit memo", language="en").hits]
    assert hits[0] == 1
