"""Signatures as the Standard Webhooks specification defines them (standardwebhooks.com), so a receiver
can check ours with that project's libraries or with a few lines of its own:

    signed = f"{webhook-id}.{webhook-timestamp}.{raw body}"
    webhook-signature = "v1," + base64(HMAC-SHA256(base64decode(secret without "whsec_"), signed))
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{event_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(secret: str, event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, event_id, timestamp, body),
    }


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does (used by our tests and shown in the docs)."""
    expected = signature(secret, headers["webhook-id"], int(headers["webhook-timestamp"]), body)
    return any(
        hmac.compare_digest(expected, candidate) for candidate in headers.get("webhook-signature", "").split()
    )
