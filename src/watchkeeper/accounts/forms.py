from __future__ import annotations

import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from watchkeeper.accounts.models import Presence, User


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class PreferencesForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)

    class Meta:
        model = User
        fields = ["display_name", "preferred_language", "time_zone"]
        labels = {"display_name": _("Display name"), "preferred_language": _("Language")}
        help_texts = {
            "display_name": _("Shown to support agents and in the community."),
            "preferred_language": _("Pages and emails from us use this language."),
        }


class PresenceForm(forms.Form):
    presence = forms.ChoiceField(label=_("Status"), choices=Presence.choices)


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the key is for, e.g. “trading bot” or “helpdesk integration”."),
    )
    expires_in_days = forms.TypedChoiceField(
        label=_("Expires"),
        coerce=int,
        choices=[(30, _("in 30 days")), (90, _("in 90 days")), (365, _("in a year")), (0, _("never"))],
        initial=90,
    )
