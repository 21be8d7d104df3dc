"""A fixed world with hand-countable funnels (2026/27):

IMD Q1: 30 eligible; 12 interested (verified); 6 offered → 1 declined, 1 no-show, 4 attended.
        Plus one Q1 student interested only in a 2025/26 micro-internship (not counted) and
        one with an unverified interest (not counted).
IMD Q5: 30 eligible; 20 interested; 10 offered → 1 expired, 1 accepted, 8 attended;
        3 of the 8 answered the end-of-day survey (and consented to research, so their
        answers count).
Micro-internship A (Hospitality, October 2026) holds the Q1 interest and the 10 unsuccessful
Q5 interests, except one unsuccessful Q1 and one unsuccessful Q5 interest, which are in C
(Education, January 2027); B (Arts, March 2027) holds the 10 Q5 offers (and all 3 survey
answers). Three micro-internships: the fewest the dashboard publishes figures for.
"""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from microintern.applications.enums import PlaceState
from microintern.insights.domain import give_research_consent
from microintern.insights.models import PopulationImportRow, PopulationRecord
from microintern.surveys.models import Instrument, InstrumentVersion, Invitation
from tests.accounts.factories import StudentFactory
from tests.applications.factories import ExpressionOfInterestFactory
from tests.hosts.factories import ChallengeFactory
from tests.programme.factories import MicroInternshipFactory


def _mi(sector: str, when: datetime):
    challenge = ChallengeFactory(contact__organisation__sector=sector)
    return MicroInternshipFactory(challenge=challenge, starts_at=when)


def _interest(student, mi, state, verified=True):
    now = timezone.now()
    return ExpressionOfInterestFactory(
        student=student,
        micro_internship=mi,
        state=state,
        verified_at=now if verified else None,
        offer_expires_at=now if state == PlaceState.OFFERED else None,
    )


@pytest.fixture
def funnel_world(db):
    a = _mi("Hospitality", datetime(2026, 10, 15, 9, 30, tzinfo=UTC))
    b = _mi("Arts", datetime(2027, 3, 10, 9, 30, tzinfo=UTC))
    c = _mi("Education", datetime(2027, 1, 20, 9, 30, tzinfo=UTC))
    old = _mi("Hospitality", datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
    post = InstrumentVersion.objects.create(
        instrument=Instrument.objects.create(slug="post", title="Post", kind="student_post"),
        number=1,
    )
    students = {"Q1": [], "Q5": []}
    for quintile, school in ((1, "School of Arts"), (5, "Business School")):
        for _ in range(30):
            student = StudentFactory(imd_quintile=quintile, school=school)
            PopulationRecord.objects.create(
                student=student, academic_year="2026/27", imd_quintile=quintile, school=school
            )
            students[f"Q{quintile}"].append(student)
    q1, q5 = students["Q1"], students["Q5"]
    q1_states = [PlaceState.DECLINED, PlaceState.NO_SHOW] + [PlaceState.ATTENDED] * 4
    for index, (student, state) in enumerate(
        zip(q1[:12], q1_states + [PlaceState.NOT_SELECTED] * 6, strict=True)
    ):
        _interest(student, c if index == 11 else a, state)
    _interest(q1[20], old, PlaceState.ATTENDED)
    _interest(q1[21], a, PlaceState.RECEIVED, verified=False)
    q5_states = [PlaceState.EXPIRED, PlaceState.ACCEPTED] + [PlaceState.ATTENDED] * 8
    for index, (student, state) in enumerate(
        zip(q5[:20], q5_states + [PlaceState.NOT_SELECTED] * 10, strict=True)
    ):
        mi = c if index == 19 else a if index >= 10 else b
        _interest(student, mi, state)
        if state == PlaceState.ATTENDED and index >= 7:
            Invitation.objects.create(
                version=post,
                student=student,
                micro_internship=mi,
                token=f"t{index}",
                responded_at=timezone.now(),
            )
            give_research_consent(student, quotes=False)
    return {"a": a, "b": b, "c": c, "q1": q1, "q5": q5}


@pytest.fixture
def fail_staging_after_two_chunks(monkeypatch):
    """Call it to make staging an import's rows fail (the disk full) once two chunks of 500
    are committed; the list it returns gets how many rows were staged when it failed.
    `monkeypatch.undo()` mends it."""

    def arm() -> list[int]:
        real_bulk_create = PopulationImportRow.objects.bulk_create
        staged_when_it_failed = []

        def failing_third_chunk(rows):
            if PopulationImportRow.objects.count() == 1000:
                staged_when_it_failed.append(PopulationImportRow.objects.count())
                raise OSError("disk full")
            return real_bulk_create(rows)

        monkeypatch.setattr(PopulationImportRow.objects, "bulk_create", failing_third_chunk)
        return staged_when_it_failed

    return arm
