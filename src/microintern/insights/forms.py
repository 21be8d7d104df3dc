from django import forms
from django.utils import timezone

from .academic_year import AcademicYear
from .hesa import CodeKind
from .models import EqualityMonitoring, Study
from .queries import CHARACTERISTICS


class PopulationUploadForm(forms.Form):
    academic_year = forms.CharField(
        label="Academic year", help_text="For example 2026/27", max_length=7
    )
    extract = forms.FileField(
        label="Student-record extract",
        help_text="A .csv (UTF-8) or .xlsx file with a header row. Nothing is saved until you "
        "have checked the report and confirmed.",
    )

    def clean_academic_year(self):
        try:
            return str(AcademicYear.parse(self.cleaned_data["academic_year"]))
        except ValueError as error:
            raise forms.ValidationError("Enter an academic year like 2026/27.") from error


LABELS = {
    "ethnicity": "Ethnic group",
    "disability_codes": "Disability, health condition or learning difference",
    "parental_education": "Parents' higher education",
    "care_leaver": "Time in care",
    "sex": "Sex",
    "gender_identity": "Gender identity",
    "religion": "Religion or belief",
    "sexual_orientation": "Sexual orientation",
}


class EqualityMonitoringForm(forms.Form):
    """Every question is optional and offers "Prefer not to say"; codes are HESA's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, frame in EqualityMonitoring.FIELD_FRAMES.items():
            choices = frame.student_choices()
            if frame.multiple:
                self.fields[name] = forms.MultipleChoiceField(
                    label=frame.question,
                    choices=choices,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                )
            else:
                self.fields[name] = forms.ChoiceField(
                    label=frame.question,
                    choices=[("", "I'd rather not answer this question now"), *choices],
                    required=False,
                    widget=forms.RadioSelect,
                )
            self.fields[name].legend = LABELS[name]

    def clean_disability_codes(self):
        codes = set(self.cleaned_data["disability_codes"])
        frame = EqualityMonitoring.FIELD_FRAMES["disability_codes"]
        special = frame.codes_of_kind(CodeKind.PREFER_NOT_TO_SAY) | {"95"}
        if len(codes) > 1 and codes & special:
            raise forms.ValidationError(
                "Choose “Prefer not to say” or “No known impairment” on its own, or choose "
                "the conditions that apply."
            )
        return sorted(codes)


class ResearchConsentForm(forms.Form):
    consent = forms.BooleanField(
        label="I agree that my pseudonymised data may be used for research about this programme",
        required=True,
    )
    quotes = forms.BooleanField(
        label="You may quote my survey comments in reports, without my name",
        required=False,
    )
    equality = forms.BooleanField(
        label="You may include my broad ethnic group and whether I am disabled (from my "
        "equality-monitoring answers) in research exports",
        required=False,
    )


class StudyForm(forms.Form):
    name = forms.CharField(
        label="Name of the study",
        max_length=200,
        help_text="Each study has its own pseudonyms: files of different studies cannot be "
        "linked to each other.",
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if Study.objects.filter(name=name).exists():
            raise forms.ValidationError("There is already a study with this name. Choose another.")
        return name


class DashboardFilterForm(forms.Form):
    year = forms.ChoiceField(label="Academic year", required=False)
    school = forms.ChoiceField(label="School", required=False)
    sector = forms.ChoiceField(label="Host sector", required=False)
    characteristic = forms.ChoiceField(
        label="Characteristic",
        choices=[(c.key, c.label) for c in CHARACTERISTICS.values()],
        required=False,
    )
    second = forms.ChoiceField(
        label="Cross with (optional)",
        choices=[("", "Nothing"), *((c.key, c.label) for c in CHARACTERISTICS.values())],
        required=False,
    )
    unrounded = forms.BooleanField(label="Show unrounded figures (restricted)", required=False)

    def __init__(self, data, choices, *, allow_unrounded):
        super().__init__(data)
        current = str(AcademicYear.containing(timezone.now()))
        years = choices["years"] or [current]
        self.fields["year"].choices = [(y, y) for y in years]
        self.default_year = years[0]
        self.fields["school"].choices = [("", "All schools")] + [(s, s) for s in choices["schools"]]
        self.fields["sector"].choices = [("", "All sectors")] + [(s, s) for s in choices["sectors"]]
        if not allow_unrounded:
            del self.fields["unrounded"]

    def settings(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        characteristic = data.get("characteristic") or "imd"
        second = data.get("second") or ""
        return {
            "year": AcademicYear.parse(data.get("year") or self.default_year),
            "school": data.get("school") or "",
            "sector": data.get("sector") or "",
            "characteristic": characteristic,
            "second": second if second != characteristic else "",
            "unrounded": bool(data.get("unrounded")),
        }


CODE_COLUMNS = {
    "level": "Level of study",
    "mode": "Mode of study",
    "fee_status": "Fee status",
    "domicile": "Domicile",
}
"""The coded columns of the extract, as the pages name them."""


MAPPING_BOX_CHARACTERS = 20_000  # a few hundred codes per column


def mapping_lines(codes: dict) -> str:
    """A column's table as the editor shows it: one `CODE = value` line per code."""
    return "\n".join(f"{code.upper()} = {value}" for code, value in sorted(codes.items()))


def _lines_box(label: str, codes: dict, *, rows: int) -> forms.CharField:
    """One column's table as a box of `CODE = value` lines."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=MAPPING_BOX_CHARACTERS,
        widget=forms.Textarea(attrs={"rows": rows, "spellcheck": "false"}),
        initial=mapping_lines(codes),
    )


class CodingMappingForm(forms.Form):
    """The code mapping as lines of `CODE = value` (read) and `CODE = reason` (refused),
    one box per column. The tables' own rules (values allowed, nothing both read and
    refused) are checked by ``domain.save_coding_mapping``."""

    note = forms.CharField(
        label="What changed and why",
        max_length=300,
        help_text="Kept with the version, for whoever reads an import made with it.",
    )

    def __init__(self, *args, readings: dict, refused: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for column, label in CODE_COLUMNS.items():
            self.fields[f"read_{column}"] = _lines_box(
                f"{label}: codes read", readings.get(column, {}), rows=8
            )
            if column != "domicile":
                self.fields[f"refuse_{column}"] = _lines_box(
                    f"{label}: codes refused, with the reason the report gives",
                    refused.get(column, {}),
                    rows=2,
                )
        self.fields["note"] = self.fields.pop("note")  # last, after the tables

    def clean(self):
        cleaned = super().clean()
        readings, refused = {}, {}
        for column, label in CODE_COLUMNS.items():
            readings[column] = self._table(f"read_{column}", label, "value")
            if column != "domicile":
                refused[column] = self._table(f"refuse_{column}", label, "reason")
        cleaned["readings"] = {c: t for c, t in readings.items() if t}
        cleaned["refused"] = {c: t for c, t in refused.items() if t}
        return cleaned

    def _table(self, name: str, label: str, what: str) -> dict:
        table: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data.get(name, "").splitlines(), 1):
            if not line.strip():
                continue
            code, sep, value = line.partition("=")
            if not sep or not code.strip() or not value.strip():
                self.add_error(
                    name,
                    f"{label}, line {number} (“{line.strip()}”): write each line as CODE = {what}.",
                )
            elif code.strip().lower() in table:
                self.add_error(name, f"{label}, line {number}: {code.strip()} is there twice.")
            else:
                table[code.strip().lower()] = value.strip()
        return table
