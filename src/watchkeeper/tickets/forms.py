"""Forms of the customer portal: a new ticket, a reply, a rating."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from watchkeeper.core import files
from watchkeeper.tickets.actions import FILE_LIMITS, MAX_FILES_PER_MESSAGE, MESSAGE_LIMIT, Upload
from watchkeeper.tickets.categories import CATEGORIES
from watchkeeper.tickets.models import Message, Priority, Status


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input, as Django's documentation shows; the checks are in actions."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def upload_help() -> str:
    return str(
        _(
            "Screenshots, screen recordings, PDF or text files: up to %(files)d files, images up to"
            " %(image)s, videos up to %(video)s, other files up to %(file)s, %(total)s in all."
        )
        % {
            "files": MAX_FILES_PER_MESSAGE,
            "image": filesizeformat(FILE_LIMITS[files.IMAGE]),
            "video": filesizeformat(FILE_LIMITS[files.VIDEO]),
            "file": filesizeformat(FILE_LIMITS[files.FILE]),
            "total": filesizeformat(MESSAGE_LIMIT),
        }
    )


def uploads_from(uploaded: list[UploadedFile]) -> list[Upload]:
    return [Upload(name=item.name or "file", stream=item, size=item.size or 0) for item in uploaded]


class NewTicketForm(forms.Form):
    category = forms.ChoiceField(label=_("What is it about?"))
    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(
        label=_("Describe the problem"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=50_000,
        help_text=_("Never include your password, 2FA codes, private keys or recovery phrase."),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            (slug, category.name) for slug, category in CATEGORIES.items()
        ]
        self.fields["attachments"].help_text = upload_help()


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 5}), max_length=50_000, required=False
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = upload_help()


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How did we do?"),
        coerce=int,
        choices=[(5, _("5 — excellent")), (4, "4"), (3, "3"), (2, "2"), (1, _("1 — poor"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything to add?"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False
    )


class AgentReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 6}), max_length=50_000, required=False
    )
    kind = forms.ChoiceField(
        label=_("Send as"),
        choices=[(Message.Kind.PUBLIC, _("Reply to the customer")), (Message.Kind.NOTE, _("Internal note"))],
        initial=Message.Kind.PUBLIC,
        widget=forms.RadioSelect,
    )
    status = forms.ChoiceField(label=_("Then set status to"), required=False)
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("(automatic)"))] + [  # type: ignore[attr-defined]
            (value, label) for value, label in Status.choices if value != Status.NEW
        ]
        self.fields["attachments"].help_text = upload_help()


class TicketPropertiesForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)
    assignee: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Assignee"), queryset=None, required=False
    )
    team: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False)
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=500, help_text=_("Separated by commas.")
    )

    def __init__(self, *args: Any, agents: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agents  # type: ignore[attr-defined]
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]

    def tag_names(self) -> list[str]:
        return [name for name in self.cleaned_data["tags"].split(",") if name.strip()]


class BulkUpdateForm(forms.Form):
    tickets = forms.TypedMultipleChoiceField(coerce=int, choices=[])
    status = forms.ChoiceField(label=_("Status"), required=False)
    priority = forms.TypedChoiceField(label=_("Priority"), required=False, coerce=int, empty_value=None)
    assignee: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Assign to"), queryset=None, required=False
    )
    add_tag = forms.CharField(label=_("Add tag"), required=False, max_length=50)

    def __init__(self, *args: Any, ticket_ids: list[int], agents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tickets"].choices = [(pk, pk) for pk in ticket_ids]  # type: ignore[attr-defined]
        self.fields["status"].choices = [("", _("(unchanged)")), *Status.choices]  # type: ignore[attr-defined]
        self.fields["priority"].choices = [("", _("(unchanged)")), *Priority.choices]  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = agents  # type: ignore[attr-defined]
