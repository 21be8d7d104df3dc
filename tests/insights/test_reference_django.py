"""The dashboard's SQL aggregation against counts made independently in Python, on the demo
data and on a seeded generated data set (several years, sectors, schools, equality answers)."""

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from statsmodels.stats.proportion import proportion_confint

from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.insights import hesa, queries
from microintern.insights.academic_year import AcademicYear
from microintern.insights.disclosure import OutputMode, hesa_round
from microintern.insights.domain import (
    give_research_consent,
    save_equality_answers,
    withdraw_research_consent,
)
from microintern.insights.models import EqualityMonitoring, PopulationRecord, ResearchConsent
from microintern.insights.report import funnel_table
from microintern.surveys.models import DayFeedback, Instrument, Invitation
from tests.accounts.factories import StudentFactory
from tests.applications.factories import ExpressionOfInterestFactory
from tests.hosts.factories import ChallengeFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db
STAGES = queries.STAGE_KEYS
OFFERED = set(queries.STAGE_STATES["offered"])
ACCEPTED = set(queries.STAGE_STATES["accepted"])


def python_funnel(year: AcademicYear, group_of, school="", sector=""):
    """Count by hand: loop over every population record and every interest."""
    records = {
        r.student_id: r
        for r in PopulationRecord.objects.filter(academic_year=str(year)).select_related("student")
        if not school or r.school == school
    }
    equality = {e.student_id: e for e in EqualityMonitoring.objects.all()}
    consenting = {c.student_id for c in ResearchConsent.objects.all() if c.withdrawn_at is None}
    answered_post = {
        (i.student_id, i.micro_internship_id)
        for i in Invitation.objects.filter(
            responded_at__isnull=False, version__instrument__kind="student_post"
        )
    }
    reached = defaultdict(set)
    for interest in ExpressionOfInterest.objects.select_related(
        "micro_internship__challenge__organisation"
    ):
        mi = interest.micro_internship
        if interest.student_id not in records or interest.verified_at is None:
            continue
        if not (year.starts <= mi.starts_at < year.ends):
            continue
        if sector and mi.challenge.organisation.sector != sector:
            continue
        reached["interested"].add(interest.student_id)
        if interest.state in OFFERED:
            reached["offered"].add(interest.student_id)
        if interest.state in ACCEPTED:
            reached["accepted"].add(interest.student_id)
        if interest.state == PlaceState.ATTENDED:
            reached["attended"].add(interest.student_id)
            answered = (interest.student_id, mi.pk) in answered_post or hasattr(
                interest, "day_feedback"
            )
            if answered and interest.student_id in consenting:
                reached["feedback"].add(interest.student_id)
    result = defaultdict(lambda: [0] * len(STAGES))
    for student_id, record in records.items():
        group = group_of(record, equality.get(student_id))
        result[group][0] += 1
        for k, stage in enumerate(STAGES[1:], start=1):
            result[group][k] += student_id in reached[stage]
    return dict(result)


def sql_funnel(filters, key):
    return {row["g0"]: [row[s] for s in STAGES] for row in queries.funnel(filters, key)}


def imd(record, _):
    return f"Q{record.imd_quintile}" if record.imd_quintile else "Unknown"


def ethnic_group(_, answers):
    if answers is None or not answers.ethnicity or answers.ethnicity == "998":
        return "Unknown"
    return hesa.ETHNIC.broad_group(answers.ethnicity)


def carer(record, _):
    return {True: "Yes", False: "No"}.get(record.carer, "Unknown")


def test_demo_data_figures_match_hand_counts():
    call_command("demo")
    call_command("demo_insights")
    year = AcademicYear.containing(timezone.now())
    filters = queries.Filters(year)
    for key, group_of in (("imd", imd), ("ethnicity", ethnic_group), ("carer", carer)):
        assert sql_funnel(filters, key) == python_funnel(year, group_of), key
    rows = queries.funnel(filters, "imd")
    table = funnel_table(rows, queries.CHARACTERISTICS["imd"], OutputMode.ROUNDED)
    total = table.rows[-1]
    eligible = sum(r["eligible"] for r in rows)
    attended = sum(r["attended"] for r in rows)
    assert total[1] == str(hesa_round(eligible)) and total[5] == str(hesa_round(attended))
    # the interval is computed from the published (rounded) counts
    low, high = proportion_confint(hesa_round(attended), hesa_round(eligible), method="wilson")
    assert total[8] == f"{100 * low:.1f}%–{100 * high:.1f}%"


@pytest.fixture
def generated():
    """Seeded: 240 students over 3 schools, 2 academic years, 3 sectors, random states,
    some end-of-day survey invitations (answered or not) and some day feedback; about half
    the students consented to research, and some of them withdrew again."""
    rng = random.Random(20261128)
    schools = ["Arts", "Business", "Computing"]
    students = []
    for _i in range(240):
        student = StudentFactory(
            school=rng.choice(schools),
            imd_quintile=rng.choice([1, 2, 3, 4, 5, None]),
            carer=rng.choice([True, False, None]),
        )
        students.append(student)
        for year in ("2025/26", "2026/27"):
            if rng.random() < 0.9:
                PopulationRecord.objects.create(
                    student=student,
                    academic_year=year,
                    school=student.school,
                    imd_quintile=student.imd_quintile if year == "2026/27" else 3,
                    carer=student.carer,
                )
        if rng.random() < 0.6:
            save_equality_answers(
                student, {"ethnicity": rng.choice(["101", "120", "160", "180", "998"])}
            )
    mis = []
    for sector in ("Arts", "Retail", "Health"):
        for when in (datetime(2025, 11, 1), datetime(2026, 11, 1), datetime(2027, 5, 1)):
            mis.append(
                MicroInternshipFactory(
                    challenge=ChallengeFactory(contact__organisation__sector=sector),
                    starts_at=when.replace(tzinfo=UTC) + timedelta(hours=9),
                )
            )
    states = list(PlaceState)
    post = Instrument.objects.get(slug="student-post").current_version
    for student in students:
        for mi in rng.sample(mis, rng.choice([0, 0, 1, 2, 3])):
            state = rng.choice(states)
            interest = ExpressionOfInterestFactory(
                student=student,
                micro_internship=mi,
                state=state,
                verified_at=None if rng.random() < 0.1 else timezone.now(),
                offer_expires_at=timezone.now() if state == PlaceState.OFFERED else None,
            )
            if rng.random() < 0.3:
                Invitation.objects.create(
                    version=post,
                    student=student,
                    micro_internship=mi,
                    token=f"g{interest.pk}",
                    responded_at=timezone.now() if rng.random() < 0.8 else None,
                )
            if rng.random() < 0.2:
                DayFeedback.objects.create(interest=interest, rating=4, submitted_at=timezone.now())
    consent = random.Random(20261202)
    for student in students:
        if consent.random() < 0.5:
            give_research_consent(student, quotes=False)
            if consent.random() < 0.25:
                withdraw_research_consent(student)


@pytest.mark.parametrize(
    ("year", "school", "sector"),
    [(2026, "", ""), (2025, "", ""), (2026, "Business", ""), (2026, "", "Retail")],
)
def test_generated_data_figures_match_hand_counts(generated, year, school, sector):
    academic_year = AcademicYear(year)
    filters = queries.Filters(academic_year, school, sector)
    for key, group_of in (("imd", imd), ("ethnicity", ethnic_group), ("carer", carer)):
        assert sql_funnel(filters, key) == python_funnel(academic_year, group_of, school, sector), (
            key
        )


def test_generated_pairs_add_up_to_the_single_funnel(generated):
    filters = queries.Filters(AcademicYear(2026))
    pairs = queries.funnel(filters, "imd", "ethnicity")
    single = {row["g0"]: row for row in queries.funnel(filters, "imd")}
    for group, row in single.items():
        for stage in STAGES:
            assert sum(p[stage] for p in pairs if p["g0"] == group) == row[stage]
