import filetype
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from microintern.core.forms import StateChangeForm

from .enums import OrganisationKind, SizeBand

SHORT = 200
LONG = 3000  # a generous page of text; more is refused with a clear message
# Welsh answers "is there…?" with the verb ("Oes" / "Nac oes"), not a bare yes or no.
YES_NO = [
    ("", _("Not sure")),
    ("yes", pgettext_lazy("there is", "Yes")),
    ("no", pgettext_lazy("there is", "No")),
]


def long_text(label, help_text="", required: bool = True) -> forms.CharField:
    """A box for a paragraph or more; "required" is worded by `ProposalForm` from the label."""
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=LONG,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "max_length": _(
                "Please keep this under %(limit_value)d characters (it has %(show_value)d). "
                "A short answer is fine; we will talk it through."
            ),
        },
    )


class DecisionForm(StateChangeForm):
    """A staff move chosen from a select that starts on "Choose…": nothing is pre-selected.

    `moves` are the states offered; `what` names the thing in the error ("a decision for
    this challenge"). `confirmed` is set by the confirmation page of a destructive move.
    """

    confirmed = forms.BooleanField(required=False)

    def __init__(self, *args, moves, what: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.moves, self.what = list(moves), what

    def clean_to_state(self):
        value = self.cleaned_data["to_state"]
        if not value:
            raise forms.ValidationError(f"Please choose {self.what}.")
        for move in self.moves:
            if move.value == value:
                return move
        if not self.moves:
            raise forms.ValidationError(
                "Nothing can be changed here any more: the page shows where it stands now."
            )
        raise forms.ValidationError(
            f"That is not one of the choices offered now. Please choose {self.what}."
        )


class ProposalForm(forms.Form):
    """Offer a challenge: no account needed, about ten minutes."""

    organisation_name = forms.CharField(label=_("Organisation name"), max_length=SHORT)
    kind = forms.ChoiceField(label=_("Kind of organisation"), choices=OrganisationKind.choices)
    sector = forms.CharField(
        label=_("Sector"), max_length=100, help_text=_("For example: hospitality")
    )
    size_band = forms.ChoiceField(label=_("Size"), choices=SizeBand.choices)
    website = forms.URLField(label=_("Website (optional)"), required=False, assume_scheme="https")
    contact_name = forms.CharField(label=_("Your name"), max_length=SHORT)
    email = forms.EmailField(
        label=_("Your email address"),
        help_text=_("We send sign-in codes here; no password needed."),
    )
    phone = forms.CharField(label=_("Phone (optional)"), max_length=40, required=False)
    job_title = forms.CharField(label=_("Your role (optional)"), max_length=SHORT, required=False)
    title = forms.CharField(
        label=_("A short title for the challenge"),
        max_length=SHORT,
        help_text=_("For example: Reaching more volunteers under 30"),
    )
    context = long_text(_("About your organisation and the situation"))
    question = long_text(_("The question you would like the team to answer"))
    good_outcome = long_text(_("What a useful outcome would look like"))
    preferred_dates = long_text(
        _("Dates or days that would suit you"), _("For example: any Wednesday in March"), False
    )
    earliest_date = forms.DateField(
        label=_("Earliest date (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    premises_address = long_text(_("Address where the team would work"))
    step_free_access = forms.ChoiceField(
        label=_("Is there step-free access?"), choices=YES_NO, required=False
    )
    quiet_room = forms.ChoiceField(
        label=_("Is there a quiet room students could use?"), choices=YES_NO, required=False
    )
    nearest_transport = forms.CharField(
        label=_("Nearest public transport (optional)"), max_length=300, required=False
    )
    accessibility_notes = long_text(_("Anything else about access (optional)"), required=False)
    what_to_bring = long_text(_("Anything students must bring (optional)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Name the field in every "required" message: the error summary lists them apart.
        optional = " " + gettext("(optional)")
        for field in self.fields.values():
            if field.error_messages["required"] == forms.Field.default_error_messages["required"]:
                label = str(field.label).removesuffix(optional)
                field.error_messages["required"] = gettext("Please tell us: %(what)s") % {
                    "what": f"{label[0].lower()}{label[1:]}"
                }
        self.fields["email"].error_messages["invalid"] = gettext(
            "Please enter your email address in the form name@example.org."
        )

    @staticmethod
    def initial_from(challenge, contact) -> dict:
        """What the form starts with when a host offers another challenge: their
        organisation and themselves, and the text of `challenge` to change where it
        differs (dates are left to choose again)."""
        organisation = challenge.organisation
        yes_no = {True: "yes", False: "no", None: ""}
        return {
            "organisation_name": organisation.name,
            "kind": organisation.kind,
            "sector": organisation.sector,
            "size_band": organisation.size_band,
            "website": organisation.website,
            "contact_name": contact.name,
            "email": contact.email,
            "phone": contact.phone,
            "job_title": contact.job_title,
            "step_free_access": yes_no[challenge.step_free_access],
            "quiet_room": yes_no[challenge.quiet_room],
            **{
                name: getattr(challenge, name)
                for name in (
                    "title",
                    "context",
                    "question",
                    "good_outcome",
                    "premises_address",
                    "nearest_transport",
                    "accessibility_notes",
                    "what_to_bring",
                )
            },
        }

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean_earliest_date(self):
        day = self.cleaned_data.get("earliest_date")
        if day and day <= timezone.localdate():
            raise forms.ValidationError(gettext("Please choose a date after today."))
        return day

    def clean(self):
        data = super().clean()
        for name in ("step_free_access", "quiet_room"):
            data[name] = {"yes": True, "no": False}.get(data.get(name) or "")
        return data


BRIEFING_TYPES = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "text/plain": ".txt",
    "text/csv": ".csv",
}


def briefing_max_bytes() -> int:
    return settings.MICROINTERN.get("BRIEFING_MAX_BYTES", 10 * 1024 * 1024)


class BriefingForm(forms.Form):
    file = forms.FileField(
        label=_("Briefing file"),
        help_text=_("PDF, Word, PowerPoint, Excel, image, text or CSV; up to 10 MB."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > briefing_max_bytes():
            raise forms.ValidationError(
                gettext("This file is %(size)s MB; the limit is %(limit)s MB.")
                % {
                    "size": f"{upload.size / 1024 / 1024:.1f}",
                    "limit": briefing_max_bytes() // 1024 // 1024,
                }
            )
        upload.detected_type = detect_type(upload)
        if upload.detected_type is None:
            raise forms.ValidationError(
                gettext(
                    "This kind of file cannot be shared here. Please use PDF, Word, PowerPoint, "
                    "Excel, an image, text or CSV."
                )
            )
        return upload


def detect_type(upload) -> str | None:
    """The file's real type from its content (not its name), if it is one we accept."""
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime if kind.mime in BRIEFING_TYPES else None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/csv" if upload.name.lower().endswith(".csv") else "text/plain"
