from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from watchkeeper.webhooks.models import EventType

SUBSCRIBABLE = [(value, label) for value, label in EventType.choices if value != EventType.PING]


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where Watchkeeper sends events, as an HTTPS POST with a JSON body."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=SUBSCRIBABLE, widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
