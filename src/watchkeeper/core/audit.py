"""The audit log's hash chain: the key, the canonical form of an entry, and its HMAC.

Every entry's `hash` is HMAC-SHA256 over a canonical JSON serialisation of its fields and the previous
entry's hash. A plain hash would not do: whoever can edit the table could recompute every hash after
the edited entry. The key lives in the settings (AUDIT_KEY, or derived from SECRET_KEY), never in the
database. Each entry names its key by a short id, so a key can be replaced while entries made with the
old one are still checked (the fallback settings).

core.actions appends with this module and core.queries checks the chain with it; both must serialise
an entry exactly alike, which is why the form is defined once here.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

# The core's own actions (registered in CoreConfig.ready()); every app registers its own.
EXPORTED = "audit.exported"
PURGED = "audit.purged"  # the anchor left by the retention purge
VERIFICATION_STARTED = "audit.verification_started"
# Administrators hold it (every permission); see accounts.roles.
VIEW_PERMISSION = "core.view_audit_log"

# The `prev_hash` of the very first entry.
GENESIS_HASH = "0" * 64
# Part of every serialised entry, so that a future change of the form cannot be confused with this one.
CHAIN_FORMAT = "watchkeeper-audit-1"
# Details are a short record of what happened, not a document store.
MAX_DETAILS_BYTES = 16_000


@dataclass(frozen=True)
class AuditKey:
    key_id: str
    secret: bytes


@functools.lru_cache(maxsize=8)
def _derive(raw: tuple[str, ...]) -> tuple[AuditKey, ...]:
    keys = []
    for value in raw:
        # Derived rather than used as is: the audit chain and Django's signing never share a key.
        secret = hmac.new(value.encode(), b"watchkeeper.core.audit chain key", hashlib.sha256).digest()
        key_id = hmac.new(secret, b"key id", hashlib.sha256).hexdigest()[:16]
        keys.append(AuditKey(key_id, secret))
    return tuple(keys)


def audit_keys() -> tuple[AuditKey, ...]:
    """The key new entries are made with, then the older keys entries may still carry."""
    if settings.AUDIT_KEY:
        raw = (settings.AUDIT_KEY, *settings.AUDIT_KEY_FALLBACKS)
    else:
        raw = (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)
    return _derive(tuple(raw))


def key_is_throwaway() -> bool:
    """True when the key comes from a SECRET_KEY made up for this process alone: entries made or
    checked with it mean nothing to any other process."""
    return not settings.AUDIT_KEY and not settings.SECRET_KEY_FROM_ENV


def canonical_ip(value: str | None) -> str | None:
    """One spelling per address: PostgreSQL's inet and SQLite's text give back IPv6 differently."""
    if not value:
        return None
    try:
        return ipaddress.ip_address(value).compressed
    except ValueError:
        return None


def canonical_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """Details as they will read back from either database, or TypeError.

    Floats are refused: PostgreSQL's jsonb may give 1e+20 back as 100000000000000000000, which would
    serialise differently and look like tampering. Dates and amounts go in as strings.
    """

    def check(value: Any) -> None:
        if value is None or isinstance(value, bool | int | str):
            return
        if isinstance(value, list | tuple):
            for item in value:
                check(item)
            return
        if isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise TypeError(f"audit details keys must be strings, not {key!r}")
                check(item)
            return
        raise TypeError(f"audit details hold strings, integers, booleans, lists and objects, not {value!r}")

    check(details)
    text = json.dumps(details, ensure_ascii=False, sort_keys=True)
    if "\x00" in text or len(text.encode()) > MAX_DETAILS_BYTES:
        raise ValueError("audit details must be under 16 kB and free of NUL characters")
    cleaned: dict[str, Any] = json.loads(text)
    return cleaned


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(
    key: AuditKey,
    *,
    sequence: int,
    created_at: datetime,
    actor_ref: int | None,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str,
    ip_address: str | None,
    details: Mapping[str, Any],
    prev_hash: str,
) -> str:
    """The HMAC that chains an entry to the one before it."""
    canonical = json.dumps(
        [
            CHAIN_FORMAT,
            sequence,
            timestamp(created_at),
            actor_ref,
            actor_label,
            action,
            target_type,
            target_id,
            canonical_ip(ip_address),
            details,
            key.key_id,
            prev_hash,
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hmac.new(key.secret, canonical.encode(), hashlib.sha256).hexdigest()
