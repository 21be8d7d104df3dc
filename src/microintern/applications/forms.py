from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from microintern.accounts.domain import normalise_email, university_address_problem
from microintern.core.forms import StateChangeForm, limit_length, text_field

from .domain import count_words, statement_character_limit, statement_word_limit
from .models import HEAR_DESCRIPTION_LENGTH
from .ranking import ordinal

ACCESS_NEEDS_LENGTH = 1000


def university_domains() -> list[str]:
    return settings.MICROINTERN["UNIVERSITY_EMAIL_DOMAINS"]


class InterestForm(forms.Form):
    """The short expression of interest: who you are (unless signed in), one answer, optional
    access needs, a tick. Nothing else: no CV, no cover letter."""

    full_name = forms.CharField(
        label=_("Your full name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
        error_messages={"required": _("Please tell us your name.")},
    )
    email = forms.EmailField(
        label=_("Your university email address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": _("Please give your university email address."),
            "invalid": _("Please check your email address: it should look like name@{domain}."),
        },
    )
    student_number = forms.CharField(
        label=_("Your student number"),
        max_length=20,
        help_text=_("It is on your student card."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": _("Please give your student number.")},
    )
    statement = forms.CharField(
        label=_("Why are you interested?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Please tell us in a few words why you are interested.")},
    )
    access_needs = text_field(
        max_length=ACCESS_NEEDS_LENGTH,
        label=_("Anything we should arrange so you can take part? (optional)"),
        help_text=_("For example step-free access, a quiet room, or breaks at set times."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    can_attend = forms.BooleanField(
        label=_("I can come on the day, for the whole day"),
        error_messages={"required": _("Please confirm that you can come on the day.")},
    )

    def __init__(self, *args, student=None, choices=None, positions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.student = student
        if choices is not None and positions:
            self.fields["choice_position"] = self._position_field(choices, positions)
        if student is not None:  # signed in: we already know who they are
            for name in ("full_name", "email", "student_number"):
                del self.fields[name]
        else:
            domain = university_domains()[0]
            self.fields["email"].help_text = gettext("It ends in @%(domain)s.") % {"domain": domain}
            self.fields["email"].error_messages["invalid"] = (
                self.fields["email"].error_messages["invalid"].format(domain=domain)
            )
        limit = statement_word_limit()
        statement = self.fields["statement"]
        statement.widget.attrs["data-word-limit"] = limit
        statement.help_text = gettext("A few sentences are enough: %(limit)s words at most.") % {
            "limit": limit
        }
        characters = statement_character_limit()
        limit_length(
            statement,
            characters,
            gettext(
                "Your answer has %(show_value)d characters. Please shorten it to {limit} "
                "characters or fewer. We have kept what you wrote so you can edit it."
            ).format(limit=f"{characters:,}"),
        )

    @staticmethod
    def _position_field(choices, positions) -> forms.TypedChoiceField:
        """Where the new choice goes among the student's others in the same round."""
        titles = [i.micro_internship.title for i in choices.interests]
        options = []
        for n in positions:
            choice = gettext("%(ordinal)s choice") % {"ordinal": ordinal(n).capitalize()}
            if n <= len(titles):
                where = gettext("%(choice)s, above “%(title)s”") % {
                    "choice": choice,
                    "title": titles[n - 1],
                }
            else:
                where = gettext("%(choice)s, below “%(title)s”") % {
                    "choice": choice,
                    "title": titles[-1],
                }
            options.append((n, where))
        return forms.TypedChoiceField(
            label=gettext("Where does this come among your choices in “%(round)s”?")
            % {"round": choices.round_name},
            help_text=gettext(
                "You can have at most one place in this round: the draw offers you your "
                "highest choice that still has a place. You can change the order on “My "
                "micro-internships” until interest closes."
            ),
            choices=options,
            coerce=int,
            initial=positions[-1],
            error_messages={"required": gettext("Please say where this comes among your choices.")},
        )

    @property
    def word_limit(self) -> int:
        return statement_word_limit()

    @property
    def word_count(self) -> int:
        """Words typed so far (after a submit), so the count works without JavaScript."""
        return count_words(self.data.get("statement", "")) if self.is_bound else 0

    def clean_email(self):
        email = self.cleaned_data["email"]
        problem = university_address_problem(email)
        if problem:
            raise forms.ValidationError(problem)
        return normalise_email(email)

    def clean_student_number(self):
        return self.cleaned_data["student_number"].strip().upper()

    def clean_statement(self):
        statement = self.cleaned_data["statement"]
        words, limit = count_words(statement), statement_word_limit()
        if words > limit:
            raise forms.ValidationError(
                gettext(
                    "Your answer has %(words)s words. Please shorten it to %(limit)s words or "
                    "fewer. We have kept what you wrote so you can edit it."
                )
                % {"words": words, "limit": limit}
            )
        return statement


class RadioGroup(forms.RadioSelect):
    """Radio buttons whose "label id" is the first option's, so the error summary's link
    lands on the group."""

    def id_for_label(self, id_, index="0"):
        return super().id_for_label(id_, index)


class DayFeedbackForm(forms.Form):
    """Short feedback on the day: a rating and a comment (kept by `surveys`)."""

    rating = forms.TypedChoiceField(
        label=_("How useful was the day for you?"),
        choices=[
            (5, _("5 – Very useful")),
            (4, _("4 – Useful")),
            (3, _("3 – Somewhat useful")),
            (2, _("2 – Not very useful")),
            (1, _("1 – Not useful at all")),
        ],
        coerce=int,
        widget=RadioGroup,
        error_messages={"required": _("Please choose how useful the day was.")},
    )
    comment = forms.CharField(
        label=_("Anything you would like to tell us? (optional)"),
        help_text=_("What went well, and what could be better next time."),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class PlaceDecisionForm(StateChangeForm):
    """A staff decision on one place, with an optional reason shown to the student."""


BADGE_FILE_BYTES = 64 * 1024


class CheckBadgeForm(forms.Form):
    """A badge to check, pasted or as its file, and optionally the address it should be for."""

    badge_text = forms.CharField(
        label="Paste the badge",
        required=False,
        strip=True,
        max_length=BADGE_FILE_BYTES,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off"}),
    )
    badge_file = forms.FileField(label="Or choose the badge file (.jwt)", required=False)
    email = forms.EmailField(
        label="The student's email address (optional)",
        help_text="To check the badge was issued to them: it holds only a hash of the address.",
        required=False,
    )

    def clean(self):
        data = super().clean()
        upload = data.get("badge_file")
        if upload:
            if upload.size > BADGE_FILE_BYTES:
                raise forms.ValidationError(
                    f"This file is {upload.size:,} bytes; a badge from this site is under "
                    f"{BADGE_FILE_BYTES:,}. Check you chose the badge file (.jwt)."
                )
            try:
                data["badge"] = upload.read().decode("ascii")
            except UnicodeDecodeError as error:
                raise forms.ValidationError(
                    "This file is not a badge: a badge file is plain text (a JSON Web Token). "
                    "Check you chose the .jwt file, not the PDF certificate."
                ) from error
        else:
            data["badge"] = data.get("badge_text", "")
        if not data["badge"].strip() and not self.errors:
            raise forms.ValidationError("Paste the badge, or choose its file, to check it.")
        return data


class HearEntryForm(forms.Form):
    """The description staff verify for a student's HEAR section 6.1 entry."""

    description = text_field(
        max_length=HEAR_DESCRIPTION_LENGTH,
        label="Description for the HEAR (section 6.1)",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Please write the description before verifying it.",
            "max_length": f"The HEAR allows {HEAR_DESCRIPTION_LENGTH} characters in a "
            "description; this one has "
            "%(show_value)d. We have kept what you wrote so you can shorten it.",
        },
    )
