from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

NAV_LABELS_IN_ENGLISH = ["Support home", "Log in", "Sign up", "How can we help?"]


def test_bare_root_answers_200(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="en"' in response.content.decode()


def test_bare_root_follows_the_browser_language(client: Client) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9")
    assert '<html lang="ko"' in response.content.decode()


@pytest.mark.parametrize("code", [code for code, _ in settings.LANGUAGES])
def test_every_locale_serves_its_home_in_its_language(client: Client, code: str) -> None:
    response = client.get(f"/{code}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{code}"' in html
    nav = re.search(r'<nav aria-label="[^"]*" class="main-nav">(.*?)</nav>', html, re.S)
    assert nav
    if code == "en":
        assert "Support home" in nav.group(1)
    else:
        for label in NAV_LABELS_IN_ENGLISH:
            assert label not in html, f"{label!r} is untranslated in {code}"


def test_home_routes_each_need_to_a_channel(client: Client) -> None:
    html = client.get("/en/").content.decode()
    for key in ("question", "urgent", "case", "news"):
        assert f'id="route-{key}"' in html
    # A channel that is not installed yet falls back to email rather than a dead link.
    assert f"mailto:{settings.DEFAULT_FROM_EMAIL}" in html


def test_no_asset_comes_from_another_host(client: Client) -> None:
    html = client.get("/en/").content.decode()
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not url.startswith(("http://", "https://", "//")) or url.startswith("mailto:"), url


def test_static_assets_are_served_by_watchkeeper(client: Client) -> None:
    html = client.get("/en/").content.decode()
    for url in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        response = client.get(url)
        assert response.status_code == 200, url


def test_error_pages(client: Client) -> None:
    response = client.get("/en/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_healthz(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["database"] is True


def test_security_headers(client: Client) -> None:
    response = client.get("/en/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
