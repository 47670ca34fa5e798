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
