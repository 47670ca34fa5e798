"""Forms of the editors' console: writing revisions, reviewing them and attaching files."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from watchkeeper.helpcenter.actions import ATTACHMENT_LIMITS, RevisionInput
from watchkeeper.helpcenter.models import Attachment, Level, Section


class RevisionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=400,
        required=False,
        help_text=_("One or two sentences shown in search results and lists."),
    )
    body = forms.CharField(
        label=_("Body"),
        widget=forms.Textarea(attrs={"rows": 22, "class": "monospace"}),
        max_length=200_000,
        help_text=_(
            "Markdown. Use ## and ### for headings; a YouTube, Vimeo or uploaded video link alone on a line"
            " becomes a player."
        ),
    )
    sample_questions = forms.CharField(
        label=_("Sample questions"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=_("Other ways customers ask this, one per line. The answer bot learns from them."),
    )
    note = forms.CharField(
        label=_("Change note"),
        max_length=300,
        required=False,
        help_text=_("What changed and why, for the reviewer."),
    )

    def revision_input(self) -> RevisionInput:
        data = self.cleaned_data
        return RevisionInput(
            title=data["title"],
            body=data["body"],
            summary=data["summary"],
            sample_questions=[line.strip() for line in data["sample_questions"].splitlines() if line.strip()],
            note=data["note"],
        )

    @staticmethod
    def initial_from(revision: Any) -> dict[str, str]:
        return {
            "title": revision.title,
            "summary": revision.summary,
            "body": revision.body,
            "sample_questions": "\n".join(revision.sample_questions),
        }


class SectionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.category} / {obj.name_in('en')}"


class NewArticleForm(RevisionForm):
    section = SectionChoiceField(label=_("Section"), queryset=Section.objects.select_related("category"))
    slug = forms.SlugField(
        label=_("Address"),
        max_length=80,
        help_text=_("Lower-case words joined by hyphens, e.g. deposit-not-credited. It cannot change later."),
    )
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    language = forms.ChoiceField(label=_("Written in"), choices=settings.LANGUAGES, initial="en")
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separated by commas."))

    field_order = [
        "section",
        "slug",
        "level",
        "language",
        "title",
        "summary",
        "body",
        "sample_questions",
        "tags",
    ]

    def tag_list(self) -> list[str]:
        return [tag.strip()[:40] for tag in self.cleaned_data["tags"].split(",") if tag.strip()][:20]


class ApproveForm(forms.Form):
    publish_at = forms.DateTimeField(
        label=_("Publish at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty to publish now."),
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000)


class SendBackForm(forms.Form):
    comment = forms.CharField(
        label=_("What needs to change"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


def _limits_text() -> str:
    from django.template.defaultfilters import filesizeformat

    return str(
        _(
            "Images (PNG, JPEG, GIF, WebP) up to %(image)s, videos (MP4, WebM) up to %(video)s,"
            " PDF up to %(file)s."
        )
        % {
            "image": filesizeformat(ATTACHMENT_LIMITS[Attachment.Kind.IMAGE]),
            "video": filesizeformat(ATTACHMENT_LIMITS[Attachment.Kind.VIDEO]),
            "file": filesizeformat(ATTACHMENT_LIMITS[Attachment.Kind.FILE]),
        }
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))
    title = forms.CharField(label=_("Title"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _limits_text()
