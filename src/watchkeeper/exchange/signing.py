"""Request signatures for the exchange API (docs/exchange-adapter.md), both sides of them.

    signed = METHOD + "\\n" + path with query + "\\n" + timestamp + "\\n" + hex(SHA-256(body))
    X-WK-Signature = hex(HMAC-SHA256(secret, signed))

The path, query and method are signed as well as the body, so a captured request cannot be replayed
against another account or turned from a read into a write; the timestamp bounds replays in time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

KEY_HEADER = "X-WK-Key"
TIMESTAMP_HEADER = "X-WK-Timestamp"
SIGNATURE_HEADER = "X-WK-Signature"
# How far the receiver lets a request's timestamp stray from its own clock, either way.
MAX_CLOCK_SKEW_SECONDS = 300


def signature(secret: str, method: str, path: str, timestamp: int, body: bytes) -> str:
    signed = f"{method.upper()}\n{path}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}"
    return hmac.new(secret.encode(), signed.encode(), hashlib.sha256).hexdigest()


def headers(key: str, secret: str, method: str, path: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        KEY_HEADER: key,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, method, path, timestamp, body),
    }


def verify(
    secrets_by_key: Mapping[str, str],
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: int,
) -> str:
    """What the exchange does with a request: "" if it is good, else why it is refused."""
    secret = secrets_by_key.get(headers.get(KEY_HEADER, ""))
    if secret is None:
        return "unknown key"
    try:
        timestamp = int(headers.get(TIMESTAMP_HEADER, ""))
    except ValueError:
        return "missing or malformed timestamp"
    if abs(now - timestamp) > MAX_CLOCK_SKEW_SECONDS:
        return "timestamp too far from the server's clock"
    expected = signature(secret, method, path, timestamp, body)
    if not hmac.compare_digest(expected, headers.get(SIGNATURE_HEADER, "")):
        return "bad signature"
    return ""
