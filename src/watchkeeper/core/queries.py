"""Reads owned by the core: the audit log, its filters and the check of its chain."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from watchkeeper.core import audit
from watchkeeper.core.models import AuditChainHead, AuditEntry, AuditVerification

# Entries read per query while checking the chain: memory stays bounded whatever the log's size.
VERIFY_BATCH = 5_000

_CHAIN_FIELDS = (
    "sequence",
    "created_at",
    "actor_id",
    "actor_ref",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "ip_address",
    "details",
    "key_id",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True)
class ChainProblem:
    """The first place where the chain does not hold.

    kind: "altered" (the entry's fields no longer match its hash), "missing" (a number is absent:
    entries deleted), "unlinked" (the entry does not follow the one before it: entries deleted and
    renumbered, moved or inserted), "inserted" (an entry from before the chain's recorded start),
    "unknown_key" (made with a key this process does not have), "tail" (the newest entry is not the
    one the chain head names: entries removed from the end or added around the log), "anchor" (the
    retention purge's record is unreadable).
    """

    kind: str
    sequence: int | None
    detail: str = ""


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_sequence: int | None
    last_sequence: int | None
    head_sequence: int
    head_hash: str
    seconds: float
    problem: ChainProblem | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe_problem(problem: dict[str, Any] | ChainProblem) -> str:
    """A sentence for the operator, in the active language."""
    values = asdict(problem) if isinstance(problem, ChainProblem) else problem
    sequence = values.get("sequence")
    messages = {
        "altered": _("Entry #%(sequence)s was altered: its content no longer matches its hash."),
        "missing": _("Entry #%(sequence)s is missing: entries were deleted."),
        "unlinked": _(
            "Entry #%(sequence)s does not follow the entry before it: "
            "entries were deleted, moved or inserted."
        ),
        "inserted": _("Entry #%(sequence)s comes from before the start of the log: it was inserted."),
        "unknown_key": _(
            "Entry #%(sequence)s was made with a key this server does not have. Set the AUDIT_KEY or "
            "SECRET_KEY the log was written with (or add the old key to the fallbacks)."
        ),
        "tail": _("The newest entries were removed, or entries were added around the log."),
        "anchor": _("The retention purge's record in entry #%(sequence)s is unreadable."),
    }
    message = messages.get(values["kind"], values["kind"])
    return message % {"sequence": sequence}


def _start_of_chain(head_sequence: int) -> tuple[int, str, ChainProblem | None]:
    """Where the remaining chain must begin: after the entry recorded by the newest retention anchor
    (whose own hash the walk checks when it gets there), or at #1."""
    anchor = (
        AuditEntry.objects.filter(action=audit.PURGED, sequence__lte=head_sequence)
        .order_by("-sequence")
        .values_list("sequence", "details")
        .first()
    )
    if anchor is None:
        return 1, audit.GENESIS_HASH, None
    sequence, details = anchor
    through = details.get("through_sequence") if isinstance(details, dict) else None
    through_hash = details.get("through_hash") if isinstance(details, dict) else None
    if not isinstance(through, int) or not isinstance(through_hash, str) or not 0 < through < sequence:
        return 1, audit.GENESIS_HASH, ChainProblem("anchor", sequence)
    return through + 1, through_hash, None


def _check_entry(
    row: tuple[Any, ...], expected_sequence: int, expected_prev: str, keys: dict[str, audit.AuditKey]
) -> ChainProblem | None:
    (
        sequence,
        created_at,
        actor_id,
        actor_ref,
        actor_label,
        action,
        target_type,
        target_id,
        ip_address,
        details,
        key_id,
        prev_hash,
        stored_hash,
    ) = row
    if sequence > expected_sequence:
        return ChainProblem("missing", expected_sequence, f"the next entry is #{sequence}")
    if sequence < expected_sequence:
        return ChainProblem("inserted", sequence, f"the chain starts at #{expected_sequence}")
    key = keys.get(key_id)
    if key is None:
        return ChainProblem("unknown_key", sequence, f"key id {key_id}")
    computed = audit.entry_hash(
        key,
        sequence=sequence,
        created_at=created_at,
        actor_ref=actor_ref,
        actor_label=actor_label,
        action=action,
        target_type=target_type,
        target_id=target_id,
        ip_address=ip_address,
        details=details,
        prev_hash=prev_hash,
    )
    if not hmac.compare_digest(computed, stored_hash):
        return ChainProblem("altered", sequence)
    # The link to the user may only have been cleared (the user was deleted), never pointed elsewhere.
    if actor_id is not None and actor_id != actor_ref:
        return ChainProblem("altered", sequence, "the actor does not match the recorded actor id")
    if prev_hash != expected_prev:
        return ChainProblem("unlinked", sequence)
    return None


def _entry_beyond_head(head_sequence: int) -> ChainProblem | None:
    """An entry newer than the head the walk started from is fine if it was appended meanwhile: then
    the head, which moves in the same transaction, has reached it by now. Read the entry first, so a
    committed append is always seen with its head."""
    beyond = (
        AuditEntry.objects.filter(sequence__gt=head_sequence)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    if beyond is None:
        return None
    head_now = (
        AuditChainHead.objects.filter(pk=AuditChainHead.SINGLETON).values_list("sequence", flat=True).first()
    )
    if head_now is None or head_now < beyond:
        return ChainProblem("inserted", beyond, "an entry beyond the chain head")
    return None


def verify_audit_chain(
    *, batch_size: int = VERIFY_BATCH, progress: Callable[[int, int], None] | None = None
) -> ChainReport:
    """Walk the chain in order, in batches, up to the head as it was when the walk began (entries
    appended meanwhile are left for the next check); stop at the first problem.

    `progress(checked, total)` is called before the first batch and after each one.
    """
    started = time.monotonic()
    keys = {key.key_id: key for key in audit.audit_keys()}
    head = AuditChainHead.objects.filter(pk=AuditChainHead.SINGLETON).values_list("sequence", "hash").first()
    head_sequence, head_hash = head or (0, audit.GENESIS_HASH)
    if head is None:
        # No head: nothing was ever appended, or it was deleted along with the entries' evidence.
        head_sequence = (
            AuditEntry.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
        )
    expected_sequence, expected_prev, problem = _start_of_chain(head_sequence)
    total = max(head_sequence - expected_sequence + 1, 0)
    checked = 0
    first_sequence: int | None = None
    last: tuple[int, str] | None = None
    if progress:
        progress(0, total)
    after = 0
    while problem is None:
        rows = list(
            AuditEntry.objects.filter(sequence__gt=after, sequence__lte=head_sequence)
            .order_by("sequence")
            .values_list(*_CHAIN_FIELDS)[:batch_size]
        )
        if not rows:
            break
        for row in rows:
            problem = _check_entry(row, expected_sequence, expected_prev, keys)
            if problem is not None:
                break
            checked += 1
            first_sequence = first_sequence or row[0]
            last = (row[0], row[-1])
            expected_sequence, expected_prev = row[0] + 1, row[-1]
        after = rows[-1][0]
        if progress:
            progress(checked, total)
    if problem is None and head is None and last is not None:
        problem = ChainProblem("tail", None, "the chain head is missing")
    elif problem is None and (last or (0, audit.GENESIS_HASH))[0] != head_sequence:
        problem = ChainProblem("missing", expected_sequence, f"the chain head is #{head_sequence}")
    elif problem is None and last is not None and last[1] != head_hash:
        problem = ChainProblem("tail", last[0], "the newest entry is not the one the chain head names")
    if problem is None:
        problem = _entry_beyond_head(head_sequence)
    return ChainReport(
        ok=problem is None,
        checked=checked,
        first_sequence=first_sequence,
        last_sequence=last[0] if last else None,
        head_sequence=head_sequence,
        head_hash=head_hash,
        seconds=round(time.monotonic() - started, 3),
        problem=problem,
    )


def audit_entries(
    *,
    action: str = "",
    actor: str = "",
    target: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEntry]:
    """The log, newest first, filtered by action code, actor email (as written then), target
    ("accounts.user:42", or a bare type or id) and a time range [since, until)."""
    entries = AuditEntry.objects.order_by("-sequence")
    if action:
        entries = entries.filter(action=action)
    if actor:
        entries = entries.filter(actor_label=actor.strip().lower())
    if target:
        kind, separator, identifier = target.strip().partition(":")
        if separator:
            entries = entries.filter(target_type=kind, target_id=identifier)
        else:
            entries = entries.filter(Q(target_type=kind) | Q(target_id=kind))
    if since is not None:
        entries = entries.filter(created_at__gte=since)
    if until is not None:
        entries = entries.filter(created_at__lt=until)
    return entries


def latest_audit_verification() -> AuditVerification | None:
    return AuditVerification.objects.order_by("-requested_at").first()
