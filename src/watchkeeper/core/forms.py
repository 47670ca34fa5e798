from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from watchkeeper.core.registry import registry


class AuditFilterForm(forms.Form):
    """The audit log's filters, from the query string. Dates are whole days in the server's time zone,
    both ends included."""

    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.EmailField(label=_("Actor email"), required=False)
    target = forms.CharField(
        label=_("Target"),
        required=False,
        max_length=130,
        widget=forms.TextInput(attrs={"placeholder": "accounts.user:42"}),
    )
    date_from = forms.DateField(
        label=pgettext_lazy("start of a date range", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=pgettext_lazy("end of a date range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actions = sorted(registry.audit_actions.values(), key=lambda action: str(action.label))
        self.fields["action"].choices = [("", _("Any")), *((a.code, a.label) for a in actions)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def query(self) -> dict[str, Any]:
        """Keyword arguments for core.queries.audit_entries (only valid filters)."""
        data = self.cleaned_data if self.is_valid() else {}
        start, end = data.get("date_from"), data.get("date_to")
        return {
            "action": data.get("action", ""),
            "actor": data.get("actor", ""),
            "target": data.get("target", ""),
            "since": _start_of(start) if start else None,
            "until": _start_of(end + timedelta(days=1)) if end else None,
        }


def _start_of(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
