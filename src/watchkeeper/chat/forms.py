"""The chat widget's guest form: who to answer when the visitor has no account here."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class GuestForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("Your email address"),
        help_text=_("We send our answer and the transcript here."),
        max_length=254,
    )
