"""Sign up → verify email → log in → switch to 简体中文, in headless Chromium against the real server."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

pytestmark = pytest.mark.browser


def test_sign_up_verify_log_in_and_switch_to_chinese(
    live_url: str, browser_page: Any, test_output: Path, shot: Callable[[Any, Path, str], None]
) -> None:
    page = browser_page
    folder = test_output / "browser" / "signup_flow"
    folder.mkdir(parents=True, exist_ok=True)
    email, password = "mei.lin@example.test", "Str0ng-and-long-pass"

    page.goto(f"{live_url}/en/")
    assert page.locator("html").get_attribute("lang") == "en"
    shot(page, folder, "01-home")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill(email)
    page.locator("input[name=password1]").fill(password)
    page.locator("input[name=password2]").fill(password)
    shot(page, folder, "02-signup-form")
    page.locator("form").filter(has=page.locator("input[name=password2]")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url(re.compile(r".*/accounts/confirm-email/.*"))
    shot(page, folder, "03-verification-sent")

    # The verification mail, read from the test outbox, links to the confirmation page.
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [email]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    path = "/" + link.group(0).split("://", 1)[1].split("/", 1)[1]
    page.goto(live_url + path)
    shot(page, folder, "04-confirm-email")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/accounts/login/.*"))

    page.get_by_label("Email").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/en/$"))
    assert page.get_by_role("link", name="My account").is_visible()
    shot(page, folder, "05-logged-in")

    page.get_by_label("Language").select_option("zh-hans")
    page.wait_for_url(re.compile(r".*/zh-hans/$"))
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    nav = page.get_by_role("navigation").first.inner_text()
    assert "Support home" not in nav and "My account" not in nav
    assert re.search(r"[\u4e00-\u9fff]", nav), nav
    heading = page.locator("h1").inner_text()
    assert re.search(r"[\u4e00-\u9fff]", heading) and "How can we help" not in heading
    shot(page, folder, "06-chinese")

    # Playwright's sync API runs an event loop in this thread, so the ORM is asked from another one.
    from concurrent.futures import ThreadPoolExecutor

    from watchkeeper.accounts.models import User

    with ThreadPoolExecutor(1) as pool:
        saved = pool.submit(lambda: User.objects.get(email=email).preferred_language).result()
    assert saved == "zh-hans"
