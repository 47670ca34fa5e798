"""Markdown to safe HTML for articles: sanitised with nh3 (an allow-list), headings numbered for the
table of contents, links to allowed video hosts turned into privacy-friendly embeds, and links to
uploaded videos alone on a line turned into players."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import markdown
import nh3
from django.conf import settings
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions.toc import slugify_unicode

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
    "sup",
    "sub",
    "kbd",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "h2": {"id"},
    "h3": {"id"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
_HEADING_ID = re.compile(r"^[a-z0-9\-_\u00c0-\uffff]{1,80}$")
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIMEO_ID = re.compile(r"^\d{6,12}$")
_LONE_LINK = re.compile(
    r'<p><a href="(?P<url>(?:https://|/)[^"]+)"[^>]*>[^<]*</a></p>|<p>(?P<bare>https://\S+)</p>'
)
_UPLOADED_VIDEO = re.compile(r"^/[\w/.-]+\.(?:mp4|webm)$")


@dataclass(frozen=True)
class Heading:
    level: int
    anchor: str
    text: str


@dataclass(frozen=True)
class RenderedArticle:
    html: SafeString
    headings: list[Heading]
    plain_text: str


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "id":
        return value if _HEADING_ID.match(value) else None
    return value


def video_embed_url(url: str) -> str | None:
    """The embed address for a YouTube or Vimeo link, or None for any other host.

    YouTube goes through youtube-nocookie.com so watching an article does not set tracking cookies.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    video_id = ""
    if host in ("youtube.com", "youtube-nocookie.com"):
        if parts.path == "/watch":
            video_id = parse_qs(parts.query).get("v", [""])[0]
        elif parts.path.startswith(("/embed/", "/shorts/")):
            video_id = parts.path.split("/")[2]
        return f"https://www.youtube-nocookie.com/embed/{video_id}" if _YOUTUBE_ID.match(video_id) else None
    if host == "youtu.be":
        video_id = parts.path.lstrip("/")
        return f"https://www.youtube-nocookie.com/embed/{video_id}" if _YOUTUBE_ID.match(video_id) else None
    if host in ("vimeo.com", "player.vimeo.com"):
        video_id = parts.path.rstrip("/").rsplit("/", 1)[-1]
        return f"https://player.vimeo.com/video/{video_id}" if _VIMEO_ID.match(video_id) else None
    return None


def _embed_videos(sanitised: str) -> str:
    def replace(match: re.Match[str]) -> str:
        url = html.unescape(match.group("url") or match.group("bare"))
        if url.startswith(settings.MEDIA_URL) and _UPLOADED_VIDEO.match(url) and ".." not in url:
            # A video uploaded as an attachment: played by the browser, from our own storage.
            return (
                '<div class="video-embed"><video controls preload="metadata" src="'
                + html.escape(url)
                + '"></video></div>'
            )
        embed = video_embed_url(url)
        if embed is None:
            return match.group(0)
        return (
            '<div class="video-embed"><iframe src="' + html.escape(embed) + '" title="Video" loading="lazy"'
            ' sandbox="allow-scripts allow-same-origin allow-presentation" allow="fullscreen"'
            ' referrerpolicy="strict-origin-when-cross-origin"></iframe></div>'
        )

    return _LONE_LINK.sub(replace, sanitised)


def render_markdown(source: str) -> RenderedArticle:
    converter = markdown.Markdown(
        extensions=["tables", "fenced_code", "sane_lists", "toc"],
        extension_configs={"toc": {"toc_depth": "2-3", "slugify": slugify_unicode}},
        output_format="html",
    )
    # Raw HTML in the Markdown is escaped by nh3 below rather than trusted; the allow-list decides.
    raw_html = converter.convert(source)
    sanitised = nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    headings = [
        Heading(level=token["level"], anchor=token["id"], text=html.unescape(token["name"]))
        for top in getattr(converter, "toc_tokens", [])
        for token in [top, *top.get("children", [])]
    ]
    plain_text = html.unescape(strip_tags(sanitised))
    return RenderedArticle(
        html=mark_safe(_embed_videos(sanitised)),  # noqa: S308 — nh3 sanitised it; embeds are ours
        headings=headings,
        plain_text=re.sub(r"\n{3,}", "\n\n", plain_text).strip(),
    )
