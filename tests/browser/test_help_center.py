"""Help center in headless Chromium against the real server: search with autocomplete (keyboard), read an
article, vote with a comment, follow "Still need help?", and find a Simplified article with a Traditional
query. The content is the app's own demo loader, run on a few of its articles."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

# The demo loader runs on these articles only: English and Simplified Chinese each, so no Korean, Japanese
# (…) analyser has to start up. Three titles share the word "withdrawal", so the autocomplete offers several.
DEMO_ARTICLES = [
    "withdrawal-fees",
    "withdrawal-address-whitelist",
    "fiat-withdrawal-bank",
    "anti-phishing-code",
]
ARTICLE_SLUG = "withdrawal-fees"
ARTICLE_TITLE = "Withdrawal fees: how they are set"
COMMENT = "Please add the fee for withdrawing USDT on Solana."


@pytest.fixture
def help_center_demo(transactional_db: None, settings: Any, tmp_path: Path, monkeypatch: Any) -> None:
    """The demo accounts and `watchkeeper demo`'s help-center loader, pointed at a copy of demo_content/
    that holds the categories and DEMO_ARTICLES. Tasks are only recorded (django-tasks' dummy backend), so
    the matcher retraining queued after publishing never runs: nothing here needs it or waits for it."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # demo accounts, fast
    from watchkeeper.accounts.actions import load_demo_accounts
    from watchkeeper.helpcenter import demo

    content = tmp_path / "demo_content"
    (content / "articles").mkdir(parents=True)
    (content / "categories.toml").symlink_to(demo.CONTENT_DIR / "categories.toml")
    for slug in DEMO_ARTICLES:
        (content / "articles" / slug).symlink_to(demo.CONTENT_DIR / "articles" / slug)
    monkeypatch.setattr(demo, "CONTENT_DIR", content)
    load_demo_accounts()
    lines = demo.load_demo_content()
    assert f"{len(DEMO_ARTICLES)} articles" in lines[0], lines


def test_search_read_vote_and_ask_for_more_help(
    help_center_demo: None,
    live_url: str,
    browser_page: Any,
    test_output: Path,
    shot: Callable[[Any, Path, str], None],
    in_thread: Callable[[Callable[[], Any]], Any],
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    folder = test_output / "browser" / "help_center"
    folder.mkdir(parents=True, exist_ok=True)

    # 1. Type a few letters; htmx fetches suggestions; pick one with the arrow keys and Enter.
    page.goto(f"{live_url}/en/help/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Help center")
    box = page.get_by_role("combobox", name="Search the help center")
    expect(box).to_have_attribute("aria-expanded", "false")
    shot(page, folder, "01-home")
    with page.expect_response(
        lambda response: "/autocomplete/" in response.url and "q=withdr" in response.url
    ):
        box.press_sequentially("withdr")
    listbox = page.get_by_role("listbox", name="Suggestions")
    target = listbox.get_by_role("option", name=ARTICLE_TITLE)
    expect(target).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option")
    assert options.count() >= 2, options.all_inner_texts()  # the arrow keys have somewhere to go
    for _ in range(options.count()):
        box.press("ArrowDown")
        if target.get_attribute("aria-selected") == "true":
            break
    expect(target).to_have_attribute("aria-selected", "true")
    expect(box).to_be_focused()  # focus stays in the box; the option is its active descendant
    expect(box).to_have_attribute("aria-activedescendant", target.get_attribute("id") or "")
    expect(listbox.locator("[aria-selected=true]")).to_have_count(1)
    shot(page, folder, "02-suggestions")
    box.press("Enter")  # a title suggestion leads straight to its article
    page.wait_for_url(re.compile(rf".*/en/help/a/{ARTICLE_SLUG}/$"))

    # 2. The article: title, breadcrumbs, table of contents.
    expect(page.get_by_role("heading", level=1)).to_have_text(ARTICLE_TITLE)
    breadcrumbs = page.get_by_role("navigation", name="Breadcrumbs")
    expect(breadcrumbs.get_by_role("link", name="Help center")).to_have_attribute("href", "/en/help/")
    expect(breadcrumbs.get_by_role("link", name="Fees")).to_be_visible()
    toc = page.locator("nav.toc")
    expect(toc.get_by_role("heading", name="Contents")).to_be_visible()
    expect(toc.get_by_role("link")).to_have_count(page.locator(".article-body h2, .article-body h3").count())
    first_entry = toc.get_by_role("link").first
    anchor = first_entry.get_attribute("href") or ""
    assert anchor.startswith("#") and page.locator(anchor).count() == 1, anchor
    shot(page, folder, "03-article")

    # 3. "Not helpful" with a comment: htmx swaps the thank-you in place of the form's fields.
    feedback = page.locator("section#feedback")
    expect(feedback.get_by_role("heading", name="Was this article helpful?")).to_be_visible()
    feedback.get_by_label("Anything we should add or fix? (optional)").fill(COMMENT)
    url_before_vote = page.url
    feedback.get_by_role("button", name="No").click()
    thanks = feedback.get_by_role("status")
    expect(thanks).to_have_text("Thank you. We will use your feedback to improve this article.")
    expect(feedback.locator("textarea")).to_have_count(0)
    expect(feedback.get_by_role("button")).to_have_count(0)
    assert page.url == url_before_vote  # swapped in place, no page load
    shot(page, folder, "04-feedback-thanks")

    from watchkeeper.helpcenter.models import Feedback

    session_key = next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "sessionid")
    votes = in_thread(
        lambda: list(
            Feedback.objects.filter(translation__article__slug=ARTICLE_SLUG).values(
                "helpful", "comment", "session_key", "translation__language"
            )
        )
    )
    assert votes == [
        {"helpful": False, "comment": COMMENT, "session_key": session_key, "translation__language": "en"}
    ]
    # Coming back, the page remembers the vote and thanks for the same answer.
    page.reload()
    expect(feedback.get_by_role("status")).to_have_text(
        "Thank you. We will use your feedback to improve this article."
    )

    # 4. "Still need help?" carries the article to the contact page.
    expect(page.get_by_role("heading", name="Still need help?")).to_be_visible()
    page.get_by_role("link", name="Contact support").click()
    page.wait_for_url(re.compile(rf".*/en/help/contact/\?article={ARTICLE_SLUG}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact support")
    expect(page.locator("#contact-context")).to_contain_text(ARTICLE_TITLE)
    shot(page, folder, "05-contact")
    # ... and on to a ticket that carries it (signing in first).
    page.get_by_role("link", name="Open a ticket").click()
    page.wait_for_url(re.compile(r".*/accounts/login/\?next=.*tickets/new/.*article.*"))
    shot(page, folder, "06-ticket-needs-login")


def test_traditional_chinese_query_finds_the_simplified_article(
    help_center_demo: None,
    live_url: str,
    browser_page: Any,
    test_output: Path,
    shot: Callable[[Any, Path, str], None],
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    folder = test_output / "browser" / "help_center"
    folder.mkdir(parents=True, exist_ok=True)
    simplified_title = "设置防钓鱼码"  # anti-phishing-code in zh-hans; the demo has no zh-hant version of it
    traditional_query = "防釣魚碼"  # 钓鱼码 written in Traditional characters

    page.goto(f"{live_url}/zh-hans/help/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    box = page.locator("#help-search")
    with page.expect_response(lambda response: "/autocomplete/" in response.url):
        box.fill(traditional_query)
    expect(page.get_by_role("listbox").get_by_role("option", name=simplified_title)).to_be_visible()
    shot(page, folder, "06-zh-suggestions")
    box.press("Escape")  # closes the suggestions, keeps what was typed
    expect(page.get_by_role("listbox")).to_have_count(0)
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value(traditional_query)
    box.press("Enter")  # no suggestion highlighted: Enter searches
    page.wait_for_url(re.compile(r".*/zh-hans/help/search/\?q=.*"))
    result = page.locator("ol.search-results li").filter(has_text=simplified_title)
    expect(result).to_have_count(1)
    expect(result).to_have_attribute("lang", "zh-hans")
    shot(page, folder, "07-zh-results")
    result.get_by_role("link").click()
    page.wait_for_url(re.compile(r".*/zh-hans/help/a/anti-phishing-code/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(simplified_title)
