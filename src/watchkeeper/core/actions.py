"""Writes owned by the core: periodic-job bookkeeping and the audit log."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from watchkeeper.core import audit
from watchkeeper.core.models import AuditChainHead, AuditEntry, AuditVerification, PeriodicJobState
from watchkeeper.core.registry import registry

logger = logging.getLogger(__name__)


def enqueue_due_periodic_jobs(now: datetime | None = None) -> list[str]:
    """Enqueue every registered periodic job whose time has come; return the names enqueued.

    Safe to run from several workers at once: each job's row is advanced with a compare-and-set on
    `next_run_at`, and only the worker whose update wins enqueues the task.
    """
    now = now or timezone.now()
    enqueued: list[str] = []
    states = {state.name: state for state in PeriodicJobState.objects.filter(name__in=registry.periodic_jobs)}
    for job in registry.periodic_jobs.values():
        interval = int(job.interval.total_seconds())
        state = states.get(job.name)
        if state is None:
            state, _ = PeriodicJobState.objects.get_or_create(
                name=job.name, defaults={"interval_seconds": interval, "next_run_at": now}
            )
        elif state.interval_seconds != interval:
            # The interval changed in code: keep the schedule but honour the new period from now.
            PeriodicJobState.objects.filter(pk=state.pk).update(
                interval_seconds=interval, next_run_at=min(state.next_run_at, now + job.interval)
            )
            state.refresh_from_db()
        if state.next_run_at > now:
            continue
        with transaction.atomic():
            won = PeriodicJobState.objects.filter(pk=state.pk, next_run_at=state.next_run_at).update(
                next_run_at=now + job.interval, last_enqueued_at=now, run_count=state.run_count + 1
            )
            if won:
                job.task.enqueue()
                enqueued.append(job.name)
    if enqueued:
        logger.info("Enqueued periodic jobs: %s", ", ".join(enqueued))
    return enqueued


# ---------------------------------------------------------------- audit log

# Entries the retention purge deletes per transaction: on SQLite a transaction holds the only write
# lock, and chat must not wait seconds behind a purge of a large backlog.
AUDIT_PURGE_BATCH = 10_000
VERIFICATION_ABANDONED_AFTER = timedelta(hours=1)


def _client_ip(request: HttpRequest) -> str | None:
    """The address allauth's rate limits see, so that the log and the lockout agree on who it was
    (ALLAUTH_TRUSTED_PROXY_COUNT / ALLAUTH_TRUSTED_CLIENT_IP_HEADER behind a proxy)."""
    from allauth.account.adapter import get_adapter

    try:
        return audit.canonical_ip(get_adapter(request).get_client_ip(request))
    except PermissionDenied:  # no address at all, as in a test client's force_login
        return None


def _target(target: Model | tuple[str, str | int] | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, Model):
        return target._meta.label_lower, str(target.pk)
    kind, identifier = target
    return kind, str(identifier)


def _newest_sequence() -> int:
    return AuditEntry.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0


def _locked_head() -> AuditChainHead:
    """The chain head, locked until the caller's transaction ends (on SQLite the IMMEDIATE transaction
    already holds the only write lock). Made on first use from the newest entry, if any."""
    head = AuditChainHead.objects.select_for_update().filter(pk=AuditChainHead.SINGLETON).first()
    if head is None:
        newest = AuditEntry.objects.order_by("-sequence").values_list("sequence", "hash").first()
        sequence, last_hash = newest or (0, audit.GENESIS_HASH)
        # Two first appenders on PostgreSQL: the second insert waits for the first and does nothing.
        AuditChainHead.objects.bulk_create(
            [AuditChainHead(pk=AuditChainHead.SINGLETON, sequence=sequence, hash=last_hash)],
            ignore_conflicts=True,
        )
        head = AuditChainHead.objects.select_for_update().get(pk=AuditChainHead.SINGLETON)
    return head


def _append(
    head: AuditChainHead,
    action: str,
    *,
    actor: Any,
    target: tuple[str, str],
    details: dict[str, Any],
    ip_address: str | None,
) -> AuditEntry:
    key = audit.audit_keys()[0]
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    fields: dict[str, Any] = {
        "sequence": head.sequence + 1,
        "created_at": timezone.now(),
        "actor_ref": user.pk if user is not None else None,
        "actor_label": user.get_username().lower() if user is not None else "",
        "action": action,
        "target_type": target[0],
        "target_id": target[1],
        "ip_address": ip_address,
        "details": details,
        "prev_hash": head.hash,
    }
    entry_hash = audit.entry_hash(key, **fields)
    entry = AuditEntry.objects.create(actor=user, key_id=key.key_id, hash=entry_hash, **fields)
    AuditChainHead.objects.filter(pk=head.pk).update(sequence=entry.sequence, hash=entry_hash)
    head.sequence, head.hash = entry.sequence, entry_hash
    return entry


def record_audit(
    action: str,
    *,
    actor: Any,
    target: Model | tuple[str, str | int] | None = None,
    details: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Append an entry to the audit log, in the caller's transaction: if that rolls back, so does the
    entry, because then nothing happened.

    `actor` is the user who acted (None or an anonymous user for the system or a stranger); `target`
    a model instance or a ("type", id) pair; `details` a small JSON object that never holds a secret.
    Appends are serialised on the chain head until the caller's transaction ends, so call this last
    in a long transaction.
    """
    if action not in registry.audit_actions:
        raise ValueError(f"unknown audit action {action!r}: register it with registry.add_audit_action")
    cleaned = audit.canonical_details(details or {})
    ip_address = _client_ip(request) if request is not None else None
    with transaction.atomic():
        return _append(
            _locked_head(),
            action,
            actor=actor,
            target=_target(target),
            details=cleaned,
            ip_address=ip_address,
        )


def purge_expired_audit_entries(now: datetime | None = None, *, batch_size: int = AUDIT_PURGE_BATCH) -> int:
    """Delete the entries older than AUDIT_RETENTION_DAYS, oldest first; return how many went.

    The chain stays verifiable: each batch ends with an "audit.purged" entry, itself chained, that
    records the number and hash of the last entry removed, and audit-verify starts from the newest
    such anchor. Only a prefix of the chain is ever removed, up to the first entry still within the
    retention period, even if a clock once went backwards.
    """
    days = settings.AUDIT_RETENTION_DAYS
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    first_kept = (
        AuditEntry.objects.filter(created_at__gte=cutoff)
        .order_by("sequence")
        .values_list("sequence", flat=True)
    ).first()
    # Fixed before the first batch: the anchors this run appends (and entries others append meanwhile)
    # come after it, and must not be purged in turn, whatever their time.
    end = first_kept if first_kept is not None else _newest_sequence() + 1
    removed_total = 0
    while True:
        with transaction.atomic():
            head = _locked_head()
            oldest = AuditEntry.objects.order_by("sequence").values_list("sequence", flat=True).first()
            if oldest is None or oldest >= end:
                return removed_total
            through = min(end - 1, oldest + batch_size - 1)
            through_hash = AuditEntry.objects.values_list("hash", flat=True).get(sequence=through)
            # The append-only trigger allows deletes only while this flag is set, in this transaction.
            AuditChainHead.objects.filter(pk=head.pk).update(purging=True)
            removed, _by_model = AuditEntry.objects.filter(sequence__lte=through).delete()
            AuditChainHead.objects.filter(pk=head.pk).update(purging=False)
            _append(
                head,
                audit.PURGED,
                actor=None,
                target=("", ""),
                details={
                    "removed": removed,
                    "through_sequence": through,
                    "through_hash": through_hash,
                    "retention_days": days,
                },
                ip_address=None,
            )
        removed_total += removed
        logger.info("Audit log: removed %d entries through #%d (retention %d days)", removed, through, days)


def start_audit_verification(user: Any, request: HttpRequest | None = None) -> AuditVerification:
    """Queue a check of the whole chain, unless one is already queued or running (then return that).

    A check left unfinished for longer than VERIFICATION_ABANDONED_AFTER (its worker died) no longer
    blocks a new one.
    """
    from watchkeeper.core.tasks import verify_audit_log

    now = timezone.now()
    with transaction.atomic():
        _locked_head()  # two clicks at the same moment start one check
        pending = (
            AuditVerification.objects.filter(
                finished_at__isnull=True, requested_at__gte=now - VERIFICATION_ABANDONED_AFTER
            )
            .order_by("-requested_at")
            .first()
        )
        if pending is not None:
            return pending
        verification = AuditVerification.objects.create(requested_by=user, requested_at=now)
        record_audit(audit.VERIFICATION_STARTED, actor=user, target=verification, request=request)
        transaction.on_commit(lambda: verify_audit_log.enqueue(verification.pk), robust=True)
    return verification


def mark_audit_verification_started(verification_id: int) -> None:
    AuditVerification.objects.filter(pk=verification_id).update(started_at=timezone.now())


def record_audit_verification_progress(verification_id: int, checked: int, total: int) -> None:
    AuditVerification.objects.filter(pk=verification_id).update(checked=checked, total=total)


def finish_audit_verification(verification_id: int, report: Mapping[str, Any]) -> None:
    AuditVerification.objects.filter(pk=verification_id).update(
        finished_at=timezone.now(), checked=report["checked"], report=dict(report)
    )
