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
