from __future__ import annotations

import pytest

from watchkeeper.helpcenter.rendering import render_markdown, video_embed_url

ATTACKS = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<svg onload="alert(1)"></svg>',
    '<iframe src="https://evil.example"></iframe>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    "![x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_sanitising_removes_scripts_handlers_and_javascript_urls(attack: str) -> None:
    html = render_markdown(f"Intro\n\n{attack}\n\nOutro").html.lower()
    assert "<script" not in html
    assert "onerror" not in html and "onload" not in html
    assert "javascript:" not in html
    assert "<iframe" not in html and "<svg" not in html and "style=" not in html
    assert "data:text/html" not in html


def test_markdown_features_survive_and_headings_feed_the_contents() -> None:
    rendered = render_markdown(
        "## Check the network\n\nText **bold**\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n## 检查备注\n"
    )
    assert "<strong>bold</strong>" in rendered.html and "<table>" in rendered.html
    assert [heading.text for heading in rendered.headings] == ["Check the network", "检查备注"]
    assert all(f'id="{heading.anchor}"' in rendered.html for heading in rendered.headings)
    assert "Check the network" in rendered.plain_text and "<" not in rendered.plain_text


def test_only_allowed_video_hosts_become_embeds() -> None:
    html = render_markdown(
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ\n\nhttps://evil.example/video.mp4"
    ).html
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in html
    assert html.count("<iframe") == 1
    assert video_embed_url("https://vimeo.com/123456789") == "https://player.vimeo.com/video/123456789"
    assert video_embed_url("https://www.youtube.com/watch?v=<script>") is None
