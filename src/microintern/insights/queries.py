"""Aggregation in SQL for the dashboard: a constant number of queries, whatever the size.

Every function returns grouped *counts*; statistics and disclosure control happen in
:mod:`microintern.insights.report` on those few rows. Nothing here loops over students.

The funnel for academic year Y (1 August – 31 July):

* **eligible** – students with a :class:`PopulationRecord` for Y (optionally in one school);
* **interested** – of those, students with a verified expression of interest in a
  micro-internship starting in Y (optionally at a host in one sector);
* **offered**, **accepted**, **attended** – whose interest reached that stage (a place state
  that can only follow an offer, an acceptance, or attendance);
* **gave feedback** – attended and answered the end-of-day survey for that micro-internship
  (or the two-question day feedback), counted only while the student's research consent is
  in force (:func:`microintern.insights.consent.consenting`, the rule every output built
  from survey answers follows).

Characteristics are SQL expressions on PopulationRecord (the year's record, not today's):
area quintiles, flags, fee status, mode, level, school, and — from the separate equality
monitoring table, left-joined — ethnicity (broad group), disability and sex.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    Subquery,
)

from microintern.accounts.enums import FeeStatus, StudyLevel, StudyMode
from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.hosts.models import Organisation

from . import hesa
from .academic_year import AcademicYear
from .consent import consenting
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


RECORD, STUDENT = "record", "student"
"""Where a characteristic's field lives: on the year's PopulationRecord, or reached from the
Student (the equality-monitoring answers)."""


@dataclass(frozen=True)
class Characteristic:
    """A grouping of students: ``field`` (on the record, or a path from the student) whose
    values map to labels by ``values`` (``(value or list of values, label)``), or, with no
    ``values``, the field's own text (blank → Unknown)."""

    key: str
    label: str
    field: str
    values: tuple[tuple[object, str], ...] = ()
    on: str = RECORD
    special_category: bool = False

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(label for _, label in self.values))

    def path(self, record_prefix: str = "", student_prefix: str = "student__") -> str:
        return (record_prefix if self.on == RECORD else student_prefix) + self.field

    def label_for(self, value) -> str:
        """The group label of one stored value (the database groups by stored values; the
        few resulting rows are labelled here)."""
        if not self.values:
            return value or UNKNOWN
        for stored, label in self.values:
            if (
                (value in stored)
                if isinstance(stored, list)
                else (value is not None and type(value) is type(stored) and value == stored)
            ):
                return label
        return UNKNOWN

    def ordered(self, labels) -> list[str]:
        present = set(labels)
        order = [g for g in self.groups if g in present]
        order += sorted(present - set(order) - {UNKNOWN})
        return order + ([UNKNOWN] if UNKNOWN in present else [])

    def every_group(self, labels) -> list[str]:
        """Every group a table prints: all of a coded characteristic's groups and Unknown,
        whether or not anyone is in them (an absent row would say "exactly nobody"), or the
        free-text values present (school names come from the student record)."""
        if not self.values:
            return self.ordered(labels)
        return self.ordered({*labels, *self.groups, UNKNOWN})


def _quintile(field_name: str, label: str, key: str) -> Characteristic:
    return Characteristic(key, label, field_name, tuple((q, f"Q{q}") for q in range(1, 6)))


def _flag(field_name: str, label: str) -> Characteristic:
    return Characteristic(field_name, label, field_name, ((True, "Yes"), (False, "No")))


def _choices(field_name: str, label: str, choices) -> Characteristic:
    return Characteristic(field_name, label, field_name, tuple(choices.choices))


def _frame(
    frame: hesa.CodingFrame, field_name: str, key: str, label: str, broad: bool = True
) -> Characteristic:
    groups: dict[str, list[str]] = {}
    for code in frame.codes:
        if code.kind is hesa.CodeKind.ANSWER:
            name = frame.broad_group(code.code) if broad else frame.label(code.code)
            groups.setdefault(name, []).append(code.code)
    return Characteristic(
        key,
        label,
        EQUALITY + field_name,
        tuple((codes, name) for name, codes in groups.items()),
        on=STUDENT,
        special_category=True,
    )


EQUALITY = "equality_monitoring__"
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
        Characteristic("school", "School", "school"),
        _frame(hesa.ETHNIC, "ethnicity", "ethnicity", "Ethnic group (broad)"),
        Characteristic(
            "disability",
            "Disability",
            EQUALITY + "disability_group",
            ((hesa.DISABLED, hesa.DISABLED), (hesa.NOT_DISABLED, hesa.NOT_DISABLED)),
            on=STUDENT,
            special_category=True,
        ),
        _frame(hesa.SEXID, "sex", "sex", "Sex", broad=False),
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

    def interests(self):
        """Verified interest in this year's micro-internships (and sector), each joined to
        the student's population record of the year as ``record`` (a LEFT JOIN whose
        condition sits in the ON clause, so the database starts from the few expressions of
        interest rather than from the whole population; :func:`funnel` counts only rows
        where ``record`` exists)."""
        condition = Q(student__population_records__academic_year=str(self.year))
        if self.school:
            condition &= Q(student__population_records__school=self.school)
        conditions = {
            "micro_internship__starts_at__gte": self.year.starts,
            "micro_internship__starts_at__lt": self.year.ends,
            "verified_at__isnull": False,
        }
        if self.sector:
            conditions["micro_internship__challenge__organisation__sector"] = self.sector
        return ExpressionOfInterest.objects.annotate(
            record=FilteredRelation("student__population_records", condition=condition)
        ).filter(**conditions)


RECORD_VIA_INTEREST = "record__"


def funnel(filters: Filters, *keys: str) -> list[dict]:
    """Two queries: funnel counts grouped by one or two characteristics.

    The eligible count groups the year's population (one row per student); the later
    stages group the year's expressions of interest — a far smaller table — counting each
    student once per stage. Both group by the *stored* values (quintile, code, flag), and
    the few resulting rows are then labelled and summed here: exact, because each student
    has one stored value. Returns rows ``{"g0": label, ["g1": label,] "eligible": n,
    "interested": n, …}`` ordered by the group labels.
    """
    characteristics = [CHARACTERISTICS[key] for key in keys]
    population = filters.population()
    eligible_paths = []
    for i, characteristic in enumerate(characteristics):
        if characteristic.on == STUDENT and connection.vendor == "sqlite":
            # SQLite: a lookup by student id is about twice as fast as joining the student
            # and equality tables for every population record. PostgreSQL: the join (a hash
            # join) is faster than a correlated subquery, so it takes the plain path below.
            name = f"raw{i}"
            population = population.annotate(
                **{
                    name: Subquery(
                        EqualityMonitoring.objects.filter(student=OuterRef("student_id")).values(
                            characteristic.field.removeprefix(EQUALITY)
                        )[:1]
                    )
                }
            )
            eligible_paths.append(name)
        else:
            eligible_paths.append(characteristic.path())
    eligible = population.values(*eligible_paths).annotate(eligible=Count("pk")).order_by()

    counted = Q(record__isnull=False)
    stages = {"interested": Count("student", distinct=True, filter=counted)}
    for stage, states in STAGE_STATES.items():
        stages[stage] = Count("student", distinct=True, filter=counted & Q(state__in=states))
    stages["feedback"] = Count(
        "student",
        distinct=True,
        filter=counted
        & Q(state=PlaceState.ATTENDED)
        & consenting("student")
        & (
            Q(day_feedback__isnull=False)
            | Q(
                student__survey_invitations__micro_internship=F("micro_internship"),
                student__survey_invitations__responded_at__isnull=False,
                student__survey_invitations__version__instrument__kind="student_post",
            )
        ),
    )
    stage_paths = [c.path(RECORD_VIA_INTEREST) for c in characteristics]
    reached = filters.interests().values(*stage_paths).annotate(**stages).order_by()

    names = [f"g{i}" for i in range(len(keys))]
    rows: dict[tuple, dict] = {}

    def add(row: dict, paths: list[str], counts: dict) -> None:
        key = tuple(c.label_for(row[path]) for c, path in zip(characteristics, paths, strict=True))
        target = rows.setdefault(
            key, {**dict(zip(names, key, strict=True)), **dict.fromkeys(STAGE_KEYS, 0)}
        )
        for stage, count in counts.items():
            target[stage] += count

    for row in eligible:
        add(row, eligible_paths, {"eligible": row["eligible"]})
    for row in reached:
        if row["interested"]:  # rows without a population record count nothing
            add(row, stage_paths, {stage: row[stage] for stage in stages})
    return [rows[key] for key in sorted(rows)]


def micro_internships_in_view(filters: Filters) -> int:
    """One query: how many micro-internships the view's stages (interested onwards) come from."""
    return (
        filters.interests()
        .filter(record__isnull=False)
        .values("micro_internship_id")
        .distinct()
        .count()
    )


def collapse(rows: list[dict]) -> list[dict]:
    """Funnel by the first characteristic from a funnel by two, summing over the second.

    Exact, not an approximation: each student has one population record per year, so they
    fall in exactly one group of the second characteristic (e.g. one school)."""
    totals: dict[str, dict] = {}
    for row in rows:
        target = totals.setdefault(row["g0"], {"g0": row["g0"], **dict.fromkeys(STAGE_KEYS, 0)})
        for stage in STAGE_KEYS:
            target[stage] += row[stage]
    return [totals[key] for key in sorted(totals)]


def disclosure_counts(filters: Filters) -> dict:
    """One query: per equality field, how many of the eligible answered, preferred not to
    say or said "don't know" (the rest of the eligible gave nothing: no questionnaire, or
    the question left out — :mod:`report` subtracts from the eligible total).

    Starts from the equality answers and checks each one's student is in the year's
    population (one index probe), rather than joining every population record. Students
    can only choose answer, don't-know and prefer-not-to-say codes, so "answered" is "any
    code" minus the other two (cheap equality tests instead of long IN lists)."""
    in_population = filters.population().filter(student=OuterRef("student"))
    aggregates = {}
    for name, frame in EqualityMonitoring.FIELD_FRAMES.items():
        aggregates[f"{name}__given"] = Count("pk", filter=Q(**{f"{name}__gt": ""}))
        aggregates[f"{name}__prefer_not_to_say"] = Count(
            "pk", filter=Q(**{name: frame.prefer_not_to_say})
        )
        dont_know = frame.codes_of_kind(hesa.CodeKind.DONT_KNOW)
        if dont_know:
            aggregates[f"{name}__dont_know"] = Count("pk", filter=Q(**{name: min(dont_know)}))
    counts = EqualityMonitoring.objects.filter(Exists(in_population)).aggregate(**aggregates)
    for name in EqualityMonitoring.FIELD_FRAMES:
        counts[f"{name}__answered"] = (
            counts.pop(f"{name}__given")
            - counts[f"{name}__prefer_not_to_say"]
            - counts.get(f"{name}__dont_know", 0)
        )
    return counts


def population_years() -> list[str]:
    """The academic years with a population, latest first (one query).

    One index lookup a year (the largest year below the last one found, on the index
    that starts with the year), not a DISTINCT over every record: at 100,000 students
    that read 600,000 index entries, 140 ms on PostgreSQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH RECURSIVE years(year) AS (
                SELECT MAX(academic_year) FROM insights_populationrecord
                UNION ALL
                SELECT (
                    SELECT MAX(academic_year) FROM insights_populationrecord
                    WHERE academic_year < year
                ) FROM years WHERE year IS NOT NULL
            )
            SELECT year FROM years WHERE year IS NOT NULL"""
        )
        return [year for (year,) in cursor.fetchall()]


def filter_choices(requested_year: str | None = None) -> dict:
    """Three small queries: years with a population, schools in the chosen year (the one
    requested if it has a population, else the latest), host sectors."""
    years = population_years()
    year = requested_year if requested_year in years else (years[0] if years else None)
    return {
        "years": years,
        "schools": list(
            PopulationRecord.objects.filter(academic_year=year)
            .exclude(school="")
            .order_by("school")
            .values_list("school", flat=True)
            .distinct()
        ),
        "sectors": list(
            Organisation.objects.order_by("sector").values_list("sector", flat=True).distinct()
        ),
    }
