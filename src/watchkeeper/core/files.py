"""What an uploaded file really is, read from its first bytes, never from its name or the browser's claim.

An HTML or SVG file renamed to .png would otherwise be served from our own origin, where its scripts
would run with the visitor's session. Everything we serve inline must be one of the types below.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files.storage import FileSystemStorage


@dataclass(frozen=True)
class FileType:
    kind: str  # "image", "video" or "file"
    content_type: str
    extension: str


IMAGE, VIDEO, FILE = "image", "video", "file"

_SIGNATURES: list[tuple[bytes, int, FileType]] = [
    (b"\x89PNG\r\n\x1a\n", 0, FileType(IMAGE, "image/png", "png")),
    (b"\xff\xd8\xff", 0, FileType(IMAGE, "image/jpeg", "jpg")),
    (b"GIF87a", 0, FileType(IMAGE, "image/gif", "gif")),
    (b"GIF89a", 0, FileType(IMAGE, "image/gif", "gif")),
    (b"WEBP", 8, FileType(IMAGE, "image/webp", "webp")),
    (b"ftypqt", 4, FileType(VIDEO, "video/quicktime", "mov")),
    (b"ftyp", 4, FileType(VIDEO, "video/mp4", "mp4")),
    (b"\x1a\x45\xdf\xa3", 0, FileType(VIDEO, "video/webm", "webm")),
    (b"%PDF-", 0, FileType(FILE, "application/pdf", "pdf")),
]
TEXT = FileType(FILE, "text/plain", "txt")
# Media the help center embeds; tickets also take plain text (logs, CSV exports).
MEDIA_TYPES = frozenset(file_type.content_type for _, _, file_type in _SIGNATURES)
_HEAD = 16
_TEXT_SAMPLE = 64 * 1024


def sniff(stream: IO[bytes], *, allow_text: bool = False) -> FileType | None:
    """The file's type from its content, or None when it is none we accept. The position is kept."""
    position = stream.tell()
    try:
        stream.seek(0)
        sample = stream.read(_TEXT_SAMPLE if allow_text else _HEAD)
    finally:
        stream.seek(position)
    head = sample[:_HEAD]
    for signature, offset, file_type in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            if file_type.extension == "webp" and not head.startswith(b"RIFF"):
                continue
            return file_type
    if allow_text and _is_text(sample):
        return TEXT
    return None


def _is_text(sample: bytes) -> bool:
    if not sample or b"\x00" in sample:
        return False
    lowered = sample[:1024].lstrip().lower()
    # Markup is text too, but a browser would render it: refuse it rather than serve it.
    if lowered.startswith((b"<!doctype", b"<html", b"<svg", b"<?xml", b"<script")):
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        # The sample may end inside a character; only a failure before its last 3 bytes counts.
        return error.start >= len(sample) - 3
    return True


class PrivateFileStorage(FileSystemStorage):
    """Files only authorised views may serve (ticket attachments): under PRIVATE_MEDIA_ROOT, no URL.

    The location is read from the settings on every use, so an operator's or a test's value applies.
    """

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property
    def base_url(self) -> None:  # type: ignore[override]  # no URL: .url() raises instead of guessing one
        return None


def private_storage() -> FileSystemStorage:
    return PrivateFileStorage()
