"""Aggregation in SQL for the dashboard: a constant number of queries, whatever the size.

Every function returns grouped *counts*; statistics and disclosure control happen in
:mod:`microintern.insights.report` on those few rows. Nothing here loops over students.

The funnel for academic year Y (1 August – 31 July):

* **eligible** – students with a :class:`PopulationRecord` for Y (optionally in one school);
* **interested** – of those, students with a verified expression of interest in a
  micro-internship starting in Y (optionally at a host in one sector);
* **offered**, **accepted**, **attended** – whose interest reached that stage (a place state
  that can only follow an offer, an acceptance, or attendance);
* **gave feedback** – attended and answered the end-of-day survey for that micro-internship.

Characteristics are SQL expressions on PopulationRecord (the year's record, not today's):
area quintiles, flags, fee status, mode, level, school, and — from the separate equality
monitoring table, left-joined — ethnicity (broad group), disability and sex.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Case, CharField, Count, F, Q, Value, When

from microintern.accounts.enums import FeeStatus, StudyLevel, StudyMode
from microintern.applications.enums import PlaceState
from microintern.hosts.models import Organisation

from . import hesa
from .academic_year import AcademicYear
from .models import EqualityMonitoring, PopulationRecord

UNKNOWN = "Unknown"
STAGES = (
    ("eligible", "Eligible"),
    ("interested", "Interested"),
    ("offered", "Offered a place"),
    ("accepted", "Accepted"),
    ("attended", "Attended"),
    ("feedback", "Gave feedback"),
)
STAGE_KEYS = tuple(key for key, _ in STAGES)
STAGE_STATES = {
    "offered": [
        PlaceState.OFFERED,
        PlaceState.ACCEPTED,
        PlaceState.DECLINED,
        PlaceState.EXPIRED,
        PlaceState.ATTENDED,
        PlaceState.NO_SHOW,
    ],
    "accepted": [PlaceState.ACCEPTED, PlaceState.ATTENDED, PlaceState.NO_SHOW],
    "attended": [PlaceState.ATTENDED],
}


def _labelled(expression_cases: list[tuple[Q, str]]) -> Case:
    return Case(
        *[When(condition, then=Value(label)) for condition, label in expression_cases],
        default=Value(UNKNOWN),
        output_field=CharField(),
    )


@dataclass(frozen=True)
class Characteristic:
    key: str
    label: str
    cases: tuple[tuple[Q, str], ...] = ()
    field_name: str | None = None
    """For open-ended groupings (school): group by this field, blank → Unknown."""
    special_category: bool = False
    groups: tuple[str, ...] = field(default=())

    def expression(self):
        if self.field_name:
            return Case(
                When(**{self.field_name: ""}, then=Value(UNKNOWN)),
                default=F(self.field_name),
                output_field=CharField(),
            )
        return _labelled(list(self.cases))

    def ordered(self, labels) -> list[str]:
        present = set(labels)
        order = [g for g in self.groups if g in present]
        order += sorted(present - set(order) - {UNKNOWN})
        return order + ([UNKNOWN] if UNKNOWN in present else [])


def _quintile(field_name: str, label: str, key: str) -> Characteristic:
    groups = tuple(f"Q{q}" for q in range(1, 6))
    return Characteristic(
        key,
        label,
        tuple((Q(**{field_name: q}), f"Q{q}") for q in range(1, 6)),
        groups=groups,
    )


def _flag(field_name: str, label: str) -> Characteristic:
    return Characteristic(
        field_name,
        label,
        ((Q(**{field_name: True}), "Yes"), (Q(**{field_name: False}), "No")),
        groups=("Yes", "No"),
    )


def _choices(field_name: str, label: str, choices) -> Characteristic:
    return Characteristic(
        field_name,
        label,
        tuple((Q(**{field_name: value}), text) for value, text in choices.choices),
        groups=tuple(text for _, text in choices.choices),
    )


def _frame(
    frame: hesa.CodingFrame, path: str, key: str, label: str, broad: bool = True
) -> Characteristic:
    groups: dict[str, list[str]] = {}
    for code in frame.codes:
        name = frame.broad_group(code.code) if broad else frame.label(code.code)
        if code.kind is not hesa.CodeKind.ANSWER:
            name = UNKNOWN
        groups.setdefault(name, []).append(code.code)
    cases = tuple(
        (Q(**{f"{path}__in": codes}), name) for name, codes in groups.items() if name != UNKNOWN
    )
    return Characteristic(
        key, label, cases, special_category=True, groups=tuple(g for g in groups if g != UNKNOWN)
    )


EQUALITY = "student__equality_monitoring__"
CHARACTERISTICS: dict[str, Characteristic] = {
    c.key: c
    for c in (
        _quintile("imd_quintile", "IMD quintile (Q1 most deprived)", "imd"),
        _quintile("polar4_quintile", "POLAR4 quintile (Q1 lowest participation)", "polar4"),
        _quintile("tundra_quintile", "TUNDRA quintile (Q1 lowest participation)", "tundra"),
        _flag("care_experienced", "Care experienced"),
        _flag("first_in_family", "First in family to go to university"),
        _flag("carer", "Carer"),
        _flag("commuter", "Commuter student"),
        _choices("fee_status", "Fee status", FeeStatus),
        _choices("mode", "Mode of study", StudyMode),
        _choices("level", "Level of study", StudyLevel),
        Characteristic("school", "School", field_name="school"),
        _frame(hesa.ETHNIC, EQUALITY + "ethnicity", "ethnicity", "Ethnic group (broad)"),
        Characteristic(
            "disability",
            "Disability",
            (
                (Q(**{EQUALITY + "disability_group": hesa.DISABLED}), hesa.DISABLED),
                (Q(**{EQUALITY + "disability_group": hesa.NOT_DISABLED}), hesa.NOT_DISABLED),
            ),
            special_category=True,
            groups=(hesa.DISABLED, hesa.NOT_DISABLED),
        ),
        _frame(hesa.SEXID, EQUALITY + "sex", "sex", "Sex", broad=False),
    )
}


@dataclass(frozen=True)
class Filters:
    year: AcademicYear
    school: str = ""
    sector: str = ""

    def population(self):
        records = PopulationRecord.objects.filter(academic_year=str(self.year))
        if self.school:
            records = records.filter(school=self.school)
        return records

    def interest_q(self) -> Q:
        """A verified interest in a micro-internship of this year (and sector)."""
        prefix = "student__interests__"
        condition = Q(
            **{
                f"{prefix}micro_internship__starts_at__gte": self.year.starts,
                f"{prefix}micro_internship__starts_at__lt": self.year.ends,
                f"{prefix}verified_at__isnull": False,
            }
        )
        if self.sector:
            condition &= Q(
                **{f"{prefix}micro_internship__challenge__organisation__sector": self.sector}
            )
        return condition


def _stage_counts(filters: Filters) -> dict:
    interest = filters.interest_q()
    counts = {
        "eligible": Count("pk", distinct=True),
        "interested": Count("pk", distinct=True, filter=interest),
    }
    for stage, states in STAGE_STATES.items():
        counts[stage] = Count(
            "pk", distinct=True, filter=interest & Q(student__interests__state__in=states)
        )
    counts["feedback"] = Count(
        "pk",
        distinct=True,
        filter=interest
        & Q(
            student__interests__state=PlaceState.ATTENDED,
            student__survey_invitations__micro_internship=F("student__interests__micro_internship"),
            student__survey_invitations__responded_at__isnull=False,
            student__survey_invitations__version__instrument__kind="student_post",
        ),
    )
    return counts


def funnel(filters: Filters, *keys: str) -> list[dict]:
    """One query: funnel counts grouped by one or two characteristics.

    Returns rows ``{"g0": label, ["g1": label,] "eligible": n, "interested": n, …}``.
    """
    annotations = {f"g{i}": CHARACTERISTICS[key].expression() for i, key in enumerate(keys)}
    names = list(annotations)
    return list(
        filters.population()
        .annotate(**annotations)
        .values(*names)
        .annotate(**_stage_counts(filters))
        .order_by(*names)
    )


def disclosure_counts(filters: Filters) -> dict:
    """One query: per equality field, how many of the eligible answered, preferred not to
    say, said "don't know", or gave nothing (no questionnaire, or left the question out)."""
    aggregates = {"asked": Count("pk")}
    for name, frame in EqualityMonitoring.FIELD_FRAMES.items():
        path = EQUALITY + name
        if frame.multiple:
            pnts = Q(**{path: frame.prefer_not_to_say})
            answered = Q(**{f"{path}__gt": ""}) & ~pnts
            aggregates[f"{name}__answered"] = Count("pk", filter=answered)
            aggregates[f"{name}__prefer_not_to_say"] = Count("pk", filter=pnts)
            continue
        for kind, label in (
            (hesa.CodeKind.ANSWER, "answered"),
            (hesa.CodeKind.PREFER_NOT_TO_SAY, "prefer_not_to_say"),
            (hesa.CodeKind.DONT_KNOW, "dont_know"),
        ):
            codes = sorted(frame.codes_of_kind(kind))
            aggregates[f"{name}__{label}"] = Count("pk", filter=Q(**{f"{path}__in": codes}))
    return filters.population().aggregate(**aggregates)


def filter_choices() -> dict:
    """Three small queries: years with a population, schools, host sectors."""
    return {
        "years": list(
            PopulationRecord.objects.order_by("-academic_year")
            .values_list("academic_year", flat=True)
            .distinct()
        ),
        "schools": list(
            PopulationRecord.objects.exclude(school="")
            .order_by("school")
            .values_list("school", flat=True)
            .distinct()
        ),
        "sectors": list(
            Organisation.objects.order_by("sector").values_list("sector", flat=True).distinct()
        ),
    }
