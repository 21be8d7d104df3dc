"""An insider combines the sector filter, the school filter and the completeness table to
learn one student's sex.

The insider knows from a register that exactly one Computing student attended the one
Hospitality micro-internship of the year. They open every view the dashboard offers for the
year — every school × every sector (and all of each), crossed with school where the page
offers it — read the funnel's eligible and attended counts, the crossed table and the
equality-monitoring completeness table, and solve: for each sex group, is there a whole
number of people per (group, school, sector) consistent with every printed string in which
that student is in that group? The student's sex is *pinned* when only one group is
possible. Students here have one interest each, so views add up exactly (the insider's best
case). The control: the same insider on the restricted, unrounded view pins it.
"""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime

import numpy as np
import pytest
from django.utils import timezone
from scipy.optimize import Bounds, LinearConstraint, milp

from microintern.applications.enums import PlaceState
from microintern.insights.disclosure import SUPPRESSED
from microintern.insights.domain import save_equality_answers
from microintern.insights.models import PopulationRecord
from microintern.insights.queries import UNKNOWN
from tests.accounts.factories import StudentFactory, sign_in
from tests.applications.factories import ExpressionOfInterestFactory
from tests.hosts.factories import ChallengeFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db

SCHOOLS = ("Arts", "Business", "Computing")
SECTORS = {"Arts": 3, "Retail": 3, "Health": 3, "Hospitality": 1}
"""Sector → micro-internships in 2026/27: Hospitality has one, so it is never shown alone."""
TARGET_SCHOOL, TARGET_SECTOR = "Computing", "Hospitality"
OTHER = "Other (a legally recognised third sex)"
SEX = {"10": "Female", "11": "Male", "12": OTHER, "96": UNKNOWN, "": UNKNOWN}
"""Answer → the dashboard's group ("prefer not to say" and no answer are both Unknown)."""
STATES = [PlaceState.ATTENDED] * 4 + [PlaceState.NOT_SELECTED, PlaceState.DECLINED]


def world(seed: int, size: int = 120) -> str:
    """``size`` students, one verified interest each (or none); the target is the only
    Computing student at the Hospitality micro-internship. Returns the target's sex label."""
    rng = random.Random(seed)
    mis = {
        sector: [
            MicroInternshipFactory(
                challenge=ChallengeFactory(contact__organisation__sector=sector),
                starts_at=datetime(2026, 11, 2 + i, 9, 30, tzinfo=UTC),
            )
            for i in range(n)
        ]
        for sector, n in SECTORS.items()
    }

    def student(school: str, sex: str, mi=None, state=PlaceState.ATTENDED):
        person = StudentFactory(school=school)
        PopulationRecord.objects.create(student=person, academic_year="2026/27", school=school)
        if sex:
            save_equality_answers(person, {"sex": sex})
        if mi is not None:
            ExpressionOfInterestFactory(
                student=person, micro_internship=mi, state=state, verified_at=timezone.now()
            )

    target_sex = rng.choice(["10", "11", "12", "96"])
    student(TARGET_SCHOOL, target_sex, mis[TARGET_SECTOR][0])
    for _ in range(size):
        school = rng.choice(SCHOOLS)
        sector = rng.choice([None, *SECTORS])
        if school == TARGET_SCHOOL and sector == TARGET_SECTOR:
            sector = "Retail"
        mi = rng.choice(mis[sector]) if sector else None
        student(school, rng.choice(list(SEX)), mi, rng.choice(STATES))
    return SEX[target_sex]


def interval(cell: str, exact: bool = False) -> tuple[int, int | None]:
    """Exact values a printed count allows: rounded to 5 (0 means 0–2), ".." anything."""
    if cell == SUPPRESSED:
        return 0, None
    value = int(cell)
    return (value, value) if exact else (max(0, value - 2), value + 2)


def share_interval(cell: str, asked: int, exact: bool = False) -> tuple[int, int | None]:
    """A completeness share is a (rounded) count over the published eligible total."""
    if cell == SUPPRESSED or asked == 0:
        return 0, None
    step = 1 if exact else 5
    fits = [r for r in range(0, asked + step, step) if f"{100 * r / asked:.1f}%" == cell]
    assert fits, cell
    slack = 0 if exact else 2
    return max(0, min(fits) - slack), max(fits) + slack


class Insider:
    """Integer unknowns: attended per (group, school, sector), eligible per (group, school)."""

    def __init__(self, groups: list[str], exact: bool = False):
        self.groups, self.exact = groups, exact
        self.index: dict[tuple, int] = {}
        for g, s in itertools.product(groups, SCHOOLS):
            self.index[("e", g, s)] = len(self.index)
            for y in SECTORS:
                self.index[("x", g, s, y)] = len(self.index)
        self.rows: list[np.ndarray] = []
        self.low: list[float] = []
        self.high: list[float] = []
        for g, s in itertools.product(groups, SCHOOLS):  # attendees are among the eligible
            self.add({("x", g, s, y): 1 for y in SECTORS} | {("e", g, s): -1}, (None, 0))

    def add(self, terms: dict, bounds: tuple) -> None:
        row = np.zeros(len(self.index))
        for key, coefficient in terms.items():
            row[self.index[key]] = coefficient
        low, high = bounds
        self.rows.append(row)
        self.low.append(-np.inf if low is None else low)
        self.high.append(np.inf if high is None else high)

    def attended(self, groups, schools, sectors) -> dict:
        return {("x", g, s, y): 1 for g in groups for s in schools for y in sectors}

    def eligible(self, groups, schools) -> dict:
        return {("e", g, s): 1 for g in groups for s in schools}

    def read(self, tables: list, school: str, sector: str) -> None:
        schools = [school] if school else list(SCHOOLS)
        sectors = [sector] if sector else list(SECTORS)
        by_key = {t.key: t for t in tables}
        funnel = by_key["funnel"]
        eligible, attended = funnel.header.index("Eligible"), funnel.header.index("Attended")
        for row in funnel.rows:
            groups = self.groups if row[0] == "All students" else [row[0]]
            self.add(self.attended(groups, schools, sectors), interval(row[attended], self.exact))
            self.add(self.eligible(groups, schools), interval(row[eligible], self.exact))
        if "pair" in by_key:
            pair = by_key["pair"]
            eligible, attended = pair.header.index("Eligible"), pair.header.index("Attended")
            for row in pair.rows:
                if row[1] in SCHOOLS and row[0] in self.groups:
                    self.add(
                        self.attended([row[0]], [row[1]], sectors),
                        interval(row[attended], self.exact),
                    )
                    self.add(self.eligible([row[0]], [row[1]]), interval(row[eligible], self.exact))
        completeness = by_key["disclosure"]
        asked = int(completeness.note.split("(")[1].split(")")[0])
        (sex,) = (row for row in completeness.rows if row[0] == "SEXID")
        answered = [g for g in self.groups if g != UNKNOWN]
        self.add(self.eligible(answered, schools), share_interval(sex[1], asked, self.exact))
        (pnts_low, pnts_high), (missing_low, missing_high) = (
            share_interval(sex[2], asked, self.exact),
            share_interval(sex[4], asked, self.exact),
        )
        unknown_high = None if None in (pnts_high, missing_high) else pnts_high + missing_high
        self.add(self.eligible([UNKNOWN], schools), (pnts_low + missing_low, unknown_high))

    def possible(self, group: str) -> bool:
        """Is there a solution in which the target is in ``group``?"""
        target = self.attended([group], [TARGET_SCHOOL], [TARGET_SECTOR])
        known = self.attended(self.groups, [TARGET_SCHOOL], [TARGET_SECTOR])
        rows, low, high = list(self.rows), list(self.low), list(self.high)
        for terms in (known, target):
            row = np.zeros(len(self.index))
            for key in terms:
                row[self.index[key]] = 1
            rows.append(row)
            low.append(1)
            high.append(1)
        result = milp(
            c=np.zeros(len(self.index)),
            constraints=LinearConstraint(np.array(rows), low, high),
            integrality=np.ones(len(self.index)),
            bounds=Bounds(0, 10_000),
        )
        return result.status == 0


def insider_after_every_view(client, unrounded: bool, refused: set) -> Insider:
    """The insider after reading every view. Rounded, ``refused`` collects the views the
    page would not show (too narrow); unrounded (the control), the views in ``refused`` are
    skipped, so that the insider works from the same views, only exact."""
    insider = None
    extra = "&unrounded=on" if unrounded else ""
    for school, sector in itertools.product(["", *SCHOOLS], ["", *SECTORS]):
        if unrounded and (school, sector) in refused:
            continue
        second = "" if school else "school"
        query = f"year=2026/27&characteristic=sex&school={school}&sector={sector}"
        response = client.get(f"/insights/?{query}&second={second}{extra}")
        tables = response.context["tables"]
        if not tables:  # too narrow: the page gives the reason instead of figures
            assert response.context["narrow"]
            refused.add((school, sector))
            continue
        if insider is None:
            groups = [r[0] for r in tables[0].rows if r[0] != "All students"]
            assert set(groups) == set(SEX.values()), groups
            insider = Insider(groups, exact=unrounded)
        insider.read(tables, school, sector)
    return insider


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_filters_and_completeness_do_not_pin_the_one_students_sex(client, make_user, seed):
    truth = world(seed)
    sign_in(client, make_user("researcher"))
    refused = set()
    insider = insider_after_every_view(client, unrounded=False, refused=refused)
    assert {(school, TARGET_SECTOR) for school in ["", *SCHOOLS]} <= refused
    assert ("", "") not in refused
    possible = [g for g in insider.groups if insider.possible(g)]
    assert truth in possible
    assert len(possible) >= 2, f"pinned: {possible}"


def test_the_insider_pins_it_from_the_restricted_unrounded_views(client, make_user):
    """Control: the same equations on the same views, exact, find the student — by
    differencing, as no view shown is about Hospitality alone (which is why unrounded
    views are restricted to administrators and logged)."""
    truth = world(1)
    sign_in(client, make_user("researcher"))
    refused = set()
    insider_after_every_view(client, unrounded=False, refused=refused)
    sign_in(client, make_user("administrator"))
    insider = insider_after_every_view(client, unrounded=True, refused=refused)
    assert [g for g in insider.groups if insider.possible(g)] == [truth]
