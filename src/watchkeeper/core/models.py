from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodicJobState(models.Model):
    """When a periodic job last ran and next runs. Kept in the database so a restart neither skips nor
    repeats a run, and several workers agree on who enqueues it."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    interval_seconds = models.PositiveIntegerField(_("interval (seconds)"))
    next_run_at = models.DateTimeField(_("next run at"))
    last_enqueued_at = models.DateTimeField(_("last enqueued at"), null=True, blank=True)
    run_count = models.PositiveIntegerField(_("runs"), default=0)

    class Meta:
        verbose_name = _("periodic job")
        verbose_name_plural = _("periodic jobs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AuditEntry(models.Model):
    """One line of the audit log: who did what to what, from where.

    Append-only and hash-chained (core.audit): each entry carries an HMAC of its own fields and of the
    previous entry's HMAC, so an entry that is altered, removed, inserted or moved is found by
    `watchkeeper audit-verify`. Database triggers (migration 0002) refuse UPDATE and DELETE except the
    retention purge's and a deleted user's actor link being cleared; a migration that rebuilds this
    table on SQLite drops its triggers and must create them again.
    """

    sequence = models.PositiveBigIntegerField(_("number"), primary_key=True)
    created_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    # The actor's id and address when the entry was written: both stay when the user is deleted (which
    # clears `actor`), and the chain covers them, so the entry cannot be pinned on someone else.
    actor_ref = models.PositiveBigIntegerField(_("actor id"), null=True, blank=True)
    actor_label = models.CharField(_("actor email"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=64)
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    key_id = models.CharField(_("key id"), max_length=16)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        # Nobody adds, changes or deletes entries by hand: the only permission is to read the log.
        default_permissions = ()
        permissions = [("view_audit_log", _("Can view, export and verify the audit log"))]
        indexes = [
            models.Index(fields=["action", "sequence"], name="core_audit_action_seq"),
            models.Index(fields=["actor_label", "sequence"], name="core_audit_actor_seq"),
            models.Index(fields=["target_type", "target_id"], name="core_audit_target"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"


class AuditChainHead(models.Model):
    """The newest entry's number and hash, in one row: appenders lock it so that two of them never
    both extend the same entry, and audit-verify compares it with the newest entry to notice entries
    removed from the end. `purging` is set only inside the retention purge's transaction; the
    append-only trigger lets rows be deleted while it is."""

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON)
    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    purging = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("audit chain head")
        default_permissions = ()

    def __str__(self) -> str:
        return f"#{self.sequence}"


class AuditVerification(models.Model):
    """A check of the whole chain that an administrator started from the console; it runs as a task
    because a log of millions of entries takes longer than a page request may."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    checked = models.PositiveBigIntegerField(_("entries checked"), default=0)
    total = models.PositiveBigIntegerField(_("entries to check"), default=0)
    # core.queries.ChainReport.as_dict() once finished.
    report = models.JSONField(_("report"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit verification")
        verbose_name_plural = _("audit verifications")
        default_permissions = ()
        get_latest_by = "requested_at"

    def __str__(self) -> str:
        return f"{self.requested_at:%Y-%m-%d %H:%M}"
