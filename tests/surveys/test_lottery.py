"""The lottery comparison: who the draw decided about, the stratified risk difference and its
interval, the follow-up survey to both arms, later waiting-list offers and this round's
outcome; the analysis plan it follows (confirmatory only when unchanged since the seal)."""

import random
from datetime import timedelta

import numpy as np
import pytest
import time_machine
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.proportion import confint_proportions_2indep

from microintern.applications.enums import PlaceState
from microintern.insights import domain as insights_domain
from microintern.insights.academic_year import AcademicYear
from microintern.insights.disclosure import OutputMode
from microintern.insights.models import PopulationRecord
from microintern.programme.domain import set_interest_window_now
from microintern.selection import domain as selection_domain
from microintern.selection.models import RoundMicroInternship, SelectionRound, SelectionRun
from microintern.surveys import domain, impact, lottery
from microintern.surveys.enums import InstrumentKind
from microintern.surveys.lottery import (
    Applicant,
    Stratum,
    balance,
    drawn_applicants,
    mantel_haenszel_risk_difference,
)
from microintern.surveys.models import Invitation
from microintern.surveys.report_pdf import annual_report, report_content
from tests.accounts.factories import StudentFactory, sign_in
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory


def _run(places: dict, students: list[tuple]) -> tuple[dict, dict]:
    """(inputs, result) of a published run: students are (number, group, choices, outcome,
    offered reference)."""
    inputs = {
        "micro_internships": [{"id": ref, "places_for_draw": n} for ref, n in places.items()],
        "students": [{"id": sn, "group": g, "choices": c} for sn, g, c, _, _ in students],
    }
    result = {
        "students": [
            {"student_number": sn, "group": g, "outcome": o, "offered": off}
            for sn, g, _, o, off in students
        ]
    }
    return inputs, result


# ----------------------------------------------------------------------- pure: who is compared


def test_only_oversubscribed_first_choices_split_by_the_draw_within_one_priority_group():
    inputs, result = _run(
        {"FULL": 2, "EASY": 10},
        [
            ("A", 1, ["FULL"], "offered", "FULL"),
            ("B", 1, ["FULL", "EASY"], "offered", "EASY"),  # second choice: still offered
            ("C", 1, ["FULL"], "waitlisted", None),
            ("D", 2, ["FULL"], "not_selected", None),  # alone in group 2: nothing to compare
            ("E", 1, ["EASY"], "offered", "EASY"),  # undersubscribed: certain of a place
            ("F", 2, ["EASY"], "offered", "EASY"),
            ("G", None, ["FULL"], "offered", "FULL"),  # placed by staff
        ],
    )
    chosen = drawn_applicants([(1, inputs, result)])
    assert {(a.student, a.stratum, a.offered, a.place) for a in chosen} == {
        ("A", (1, "FULL", 1), True, "FULL"),
        ("B", (1, "FULL", 1), True, "EASY"),
        ("C", (1, "FULL", 1), False, "FULL"),
    }


def test_a_student_in_two_rounds_keeps_the_first():
    first = _run({"X": 1}, [("A", 1, ["X"], "offered", "X"), ("B", 1, ["X"], "waitlisted", None)])
    second = _run({"Y": 1}, [("B", 1, ["Y"], "offered", "Y"), ("C", 1, ["Y"], "waitlisted", None)])
    chosen = drawn_applicants([(1, *first), (2, *second)])
    # Without B, round 2's stratum holds only C (not offered): nothing left to compare.
    assert [(a.student, a.stratum[0], a.offered) for a in chosen] == [
        ("A", 1, True),
        ("B", 1, False),
    ]


# ------------------------------------------------------------------- pure: the estimate itself


def test_one_stratum_gives_the_plain_difference_with_the_wald_interval():
    result = mantel_haenszel_risk_difference([Stratum(30, 100, 20, 100)])
    low, high = confint_proportions_2indep(30, 100, 20, 100, method="wald", compare="diff")
    assert result.estimate == pytest.approx(0.1)
    assert (result.low, result.high) == (pytest.approx(low), pytest.approx(high))


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 30), st.integers(1, 30), st.floats(0, 1), st.floats(0, 1)).map(
            lambda t: Stratum(round(t[2] * t[0]), t[0], round(t[3] * t[1]), t[1])
        ),
        min_size=1,
        max_size=8,
    )
)
def test_the_test_is_statsmodels_cochran_mantel_haenszel_and_the_estimate_a_weighted_mean(strata):
    result = mantel_haenszel_risk_difference(strata)
    weights = [s.n_1 * s.n_0 / (s.n_1 + s.n_0) for s in strata]
    differences = [s.events_1 / s.n_1 - s.events_0 / s.n_0 for s in strata]
    assert result.estimate == pytest.approx(
        sum(w * d for w, d in zip(weights, differences, strict=True)) / sum(weights)
    )
    assert result.low <= result.estimate <= result.high
    tables = [
        np.array([[s.events_1, s.n_1 - s.events_1], [s.events_0, s.n_0 - s.events_0]])
        for s in strata
    ]
    expected = StratifiedTable(tables).test_null_odds(correction=False).pvalue
    if result.p_value is None:
        assert np.isnan(expected) or all(
            s.events_1 + s.events_0 in (0, s.n_1 + s.n_0) for s in strata
        )
    else:
        assert result.p_value == pytest.approx(expected, rel=1e-6, abs=1e-12)


def test_the_interval_covers_the_true_difference_95_times_in_100():
    """Many small strata (the sparse case Sato's variance is built for), a true difference
    of 15 points: 1000 simulated studies, seeded."""
    rng = random.Random(2026)
    covered = 0
    for _ in range(1000):
        strata = []
        for base in (0.2, 0.35, 0.5) * 8:
            n_1, n_0 = rng.randint(3, 8), rng.randint(3, 8)
            strata.append(
                Stratum(
                    sum(rng.random() < base + 0.15 for _ in range(n_1)),
                    n_1,
                    sum(rng.random() < base for _ in range(n_0)),
                    n_0,
                )
            )
        result = mantel_haenszel_risk_difference(strata)
        covered += result.low <= 0.15 <= result.high
    assert 930 <= covered <= 970


def test_the_minimum_detectable_effect_shrinks_with_size():
    small = mantel_haenszel_risk_difference([Stratum(10, 25, 10, 25)])
    large = mantel_haenszel_risk_difference([Stratum(40, 100, 40, 100)])
    # 2.80 standard errors of a difference at 40 %: √(0.24 × (1/25 + 1/25)) = 0.1386.
    assert small.minimum_detectable == pytest.approx(2.8016 * 0.13856, abs=1e-3)
    assert large.minimum_detectable == pytest.approx(small.minimum_detectable / 2, rel=1e-9)


def test_balance_counts_each_arm_of_those_known():
    people = [Applicant(s, (1, "X", 1), s in "AB", "X") for s in "ABCD"]
    rows = balance(
        people,
        {
            "A": {"carer": True},
            "B": {"carer": False},
            "C": {"carer": True},
            "D": {"carer": None},
        },
    )
    assert [(r.yes_1, r.known_1, r.yes_0, r.known_0) for r in rows] == [(1, 2, 1, 1)]
    assert rows[0].standardised_difference == pytest.approx((0.5 - 1) / (0.125**0.5))


# --------------------------------------------------------------- in the database, end to end


def _consenting(number):
    student = StudentFactory(student_number=number)
    insights_domain.give_research_consent(student, quotes=False)
    return student


def _follow_up(student, mi, applied, secured):
    domain.record_response(
        domain.invite(InstrumentKind.FOLLOW_UP, student=student, micro_internship=mi),
        {"applied": applied, "secured": secured},
    )


@pytest.fixture
def constructed_round(db):
    """Two oversubscribed micro-internships, one priority group each: 15 + 10 offered at
    the draw and 15 + 10 not. "Applied" has a true effect of exactly +40 points (60 % vs
    20 % in each stratum); "secured" has none (40 % vs 40 %). One not-offered student was
    offered a place later from the waiting list; 5 applicants of an undersubscribed
    micro-internship were all offered and are not compared."""
    ended = timezone.now() - timedelta(weeks=10)
    mis = {ref: MicroInternshipFactory(starts_at=ended) for ref in ("A", "B", "EASY")}
    selection_round = SelectionRound.objects.create(
        name="Spring",
        seed="s",
        seed_commitment="0" * 64,
        commitment="0" * 64,
        state="published",
        closed_at=timezone.now(),
        published_at=timezone.now(),
    )
    for mi in mis.values():
        RoundMicroInternship.objects.create(round=selection_round, micro_internship=mi)
    rows, students = [], {}
    plan = [("A", 1, 15, 9, 3, 6, 6), ("B", 2, 10, 6, 2, 4, 4)]
    for ref, group, size, applied_1, applied_0, secured_1, secured_0 in plan:
        mi = mis[ref]
        for arm, applied, secured in ((True, applied_1, secured_1), (False, applied_0, secured_0)):
            for i in range(size):
                number = f"{ref}{int(arm)}{i:02d}"
                student = students[number] = _consenting(number)
                state = PlaceState.ATTENDED if arm else PlaceState.WAITLISTED
                ExpressionOfInterestFactory(student=student, micro_internship=mi, state=state)
                rows.append(
                    (
                        number,
                        group,
                        [mi.reference],
                        "offered" if arm else "waitlisted",
                        mi.reference if arm else None,
                    )
                )
                _follow_up(student, mi, int(i < applied), int(i < secured))
    for i in range(5):
        student = _consenting(f"E{i}")
        ExpressionOfInterestFactory(
            student=student, micro_internship=mis["EASY"], state=PlaceState.ATTENDED
        )
        rows.append((f"E{i}", 1, [mis["EASY"].reference], "offered", mis["EASY"].reference))
        _follow_up(student, mis["EASY"], 1, 1)
    places = {mis["A"].reference: 15, mis["B"].reference: 10, mis["EASY"].reference: 10}
    inputs, result = _run(places, rows)
    SelectionRun.objects.create(
        round=selection_round, kind="published", inputs=inputs, result=result
    )
    promoted = ExpressionOfInterestFactory(
        student=students["A000"], micro_internship=mis["B"], state=PlaceState.ACCEPTED
    )
    return {"mis": mis, "students": students, "promoted": promoted}


def test_a_known_effect_is_recovered_and_no_effect_shows_none(constructed_round):
    data = impact.lottery_data()
    assert len(data.applicants) == 50
    assert data.later_offered == {"A000"}
    table = impact.lottery_effect(OutputMode.ROUNDED, data)
    applied, secured = table.rows
    assert applied[:3] == ["Applied for a role", "2", "+40.0"]
    low, high = (float(x) for x in applied[3].split(" to "))
    assert low < 40 < high and low > 0
    assert secured[2] == "+0.0"
    low, high = (float(x) for x in secured[3].split(" to "))
    assert low < 0 < high
    assert float(secured[4]) > 0.9
    arms = impact.lottery_comparison(OutputMode.UNROUNDED, data).rows
    assert arms[0][:4] == ["Offered a place at the draw", "25", "25", "60%"]
    assert arms[1][:4] == ["Not offered at the draw", "25", "25", "20%"]
    assert arms[2][:2] == ["… of whom offered a place later from a waiting list", "1"]


def test_only_this_rounds_follow_up_counts(constructed_round):
    """A not-offered student who answered "secured" about another micro-internship later
    does not change this round's outcome."""
    later = MicroInternshipFactory(starts_at=timezone.now())
    student = constructed_round["students"]["A014"]  # not offered, secured = 0
    _follow_up(student, later, 1, 1)
    assert impact.lottery_data().outcomes["secured"]["A014"] == 0


def test_withdrawing_consent_takes_the_student_out_of_the_comparison(constructed_round):
    insights_domain.withdraw_research_consent(constructed_round["students"]["A100"])
    data = impact.lottery_data()
    assert "A100" not in {a.student for a in data.applicants}
    assert "A100" not in data.outcomes["applied"]


def test_the_impact_page_shows_the_effect_and_balance(client, make_user, constructed_round):
    sign_in(client, make_user("researcher"))
    page = client.get("/insights/impact/?year=all").content.decode()
    assert "Effect of being offered a place" in page and "+40.0" in page
    assert "Baseline balance" in page and "intention to treat" in page


def test_follow_up_goes_to_both_arms_once_each_at_the_same_interval(db):
    """Offered (whatever they did with it), waiting-listed and not-selected applicants of a
    published draw each get one follow-up, about the place offered or their first choice,
    8–12 weeks after that day; nobody is asked twice for one round."""
    ended = timezone.now() - timedelta(weeks=10)
    first, second = MicroInternshipFactory(starts_at=ended), MicroInternshipFactory(starts_at=ended)
    selection_round = SelectionRound.objects.create(
        name="R",
        seed="s",
        seed_commitment="0" * 64,
        commitment="0" * 64,
        state="published",
        closed_at=ended,
        published_at=ended,
    )
    for mi in (first, second):
        RoundMicroInternship.objects.create(round=selection_round, micro_internship=mi)
    people = {}
    for name, states in (
        ("declined", [(first, PlaceState.DECLINED)]),
        ("waitlisted", [(first, PlaceState.WAITLISTED), (second, PlaceState.NOT_SELECTED)]),
        ("second_choice", [(first, PlaceState.WAITLISTED), (second, PlaceState.ATTENDED)]),
        ("not_selected", [(second, PlaceState.NOT_SELECTED)]),
    ):
        student = people[name] = _consenting(f"F-{name}")
        for rank, (mi, state) in enumerate(states, start=1):
            ExpressionOfInterestFactory(
                student=student, micro_internship=mi, state=state, preference_rank=rank
            )
    no_consent = ExpressionOfInterestFactory(micro_internship=first, state=PlaceState.WAITLISTED)
    domain.invite_due(timezone.now())
    sent = {
        (i.student_id, i.micro_internship_id)
        for i in Invitation.objects.filter(version__instrument__kind=InstrumentKind.FOLLOW_UP)
    }
    assert sent == {
        (people["declined"].pk, first.pk),
        (people["waitlisted"].pk, first.pk),
        (people["second_choice"].pk, second.pk),
        (people["not_selected"].pk, second.pk),
    }
    assert no_consent.student_id not in {s for s, _ in sent}


# The analysis plan the comparison follows: a round built and sealed through the selection
# domain (its fingerprint binds the plan), the constructed round's published draw moved onto it.

PLAN = "H1: an offer at the draw raises applying for a role at the 8–12 week follow-up."


def _sealed_round(make_user, plan=PLAN, change_before_seal=""):
    staff = make_user("staff")
    mi = MicroInternshipFactory(open_now=True)
    selection_round = selection_domain.create_round(
        name="Spring, sealed",
        micro_internships=[mi],
        priority=["first_time"],
        analysis_plan=plan,
        actor=staff,
    )
    if change_before_seal:
        selection_domain.update_policy(
            selection_round,
            priority=["first_time"],
            entries=[],
            reason="The ethics committee asked for a sharper hypothesis.",
            analysis_plan=change_before_seal,
            actor=staff,
        )
    set_interest_window_now(mi, open_it=False, actor=staff)
    selection_domain.close_round(selection_round, actor=staff)
    SelectionRun.objects.filter(kind="published").update(round=selection_round)
    return selection_round, mi, staff


def _change_plan_after_the_seal(selection_round, staff, plan):
    selection_domain.reopen_round(
        selection_round, reason="A late applicant was missed.", actor=staff
    )
    selection_domain.update_policy(
        selection_round,
        priority=["first_time"],
        entries=[],
        reason="Outcome widened after the seal.",
        analysis_plan=plan,
        actor=staff,
    )
    selection_domain.close_round(selection_round, actor=staff)


def _plan_table(page: str) -> str:
    start = page.index('id="table-lottery_plan"')
    return page[start : page.index("</section>", start)]


def test_the_comparison_names_the_plan_it_follows(client, make_user, constructed_round):
    selection_round, _, _ = _sealed_round(make_user)
    sign_in(client, make_user("researcher"))
    page = client.get("/insights/impact/?year=all").content.decode()
    plan = _plan_table(page)
    assert selection_round.commitment in plan
    public = f"/selection/{selection_round.pk}/"
    assert f"{public}</td>" in plan and "Confirmatory" in plan and "Exploratory" not in plan
    assert "Effect of being offered a place (stratified risk difference, confirmatory)" in page
    assert (
        f"Confirmatory: follows the analysis plan each round fingerprinted before its draw "
        f"(fingerprint {selection_round.commitment})" in page
    )
    assert annual_report(OutputMode.ROUNDED).startswith(b"%PDF")
    # The place named really publishes that plan under that fingerprint.
    client.logout()
    published = client.get(public).content.decode()
    assert selection_round.commitment in published and "H1: an offer at the draw" in published


def test_a_plan_changed_before_the_seal_is_still_the_plan_the_draw_followed(
    make_user, constructed_round
):
    selection_round, _, _ = _sealed_round(make_user, change_before_seal=PLAN + " Window: 12 weeks.")
    (check,) = impact.analysis_plans([selection_round.pk])
    assert check.confirmatory and check.fingerprint == selection_round.commitment


def test_a_plan_changed_after_the_seal_is_refused_as_confirmatory(
    client, make_user, constructed_round
):
    selection_round, _, staff = _sealed_round(make_user)
    sealed_fingerprint = selection_round.commitment
    _change_plan_after_the_seal(selection_round, staff, "H1: any change in any outcome.")
    selection_round.refresh_from_db()
    assert selection_round.commitment != sealed_fingerprint  # the new plan is fingerprinted
    sign_in(client, make_user("researcher"))
    page = client.get("/insights/impact/?year=all").content.decode()
    plan = _plan_table(page)
    assert "Exploratory" in plan and "Confirmatory" not in plan
    assert "The analysis plan was changed after the round was first sealed" in plan
    assert "(stratified risk difference, exploratory)" in page
    assert "(stratified risk difference, confirmatory)" not in page
    assert (
        "Exploratory, not confirmatory: the comparison does not follow an analysis plan "
        "fixed before the draw (Spring, sealed: The analysis plan was changed" in page
    )
    # The same label in the downloads and the PDF's tables.
    csv_text = client.get("/insights/impact/export/lottery_effect.csv?year=all").content.decode(
        "utf-8-sig"
    )
    assert "exploratory" in csv_text.splitlines()[0] and "Exploratory, not confirmatory" in csv_text
    effect = next(t for t in report_content(OutputMode.ROUNDED).tables if t.key == "lottery_effect")
    assert effect.title.endswith("exploratory)") and effect.note.startswith("Exploratory, not")
    # The figures themselves are still shown, as exploratory.
    assert "+40.0" in page


def test_a_plan_that_does_not_match_the_fingerprint_is_exploratory(make_user, constructed_round):
    selection_round, _, _ = _sealed_round(make_user)
    SelectionRound.objects.filter(pk=selection_round.pk).update(analysis_plan="H1: anything.")
    (check,) = impact.analysis_plans([selection_round.pk])
    assert not check.confirmatory
    assert check.reason == "The analysis plan does not match the round's fingerprint."


def test_a_round_without_a_plan_is_exploratory(constructed_round):
    data = impact.lottery_data()
    table = impact.lottery_plan(data)
    ((name, status, _, _, reason),) = table.rows
    assert (name, status) == ("Spring", "Exploratory")
    assert reason == "No analysis plan was recorded before the draw."
    effect = impact.lottery_effect(OutputMode.ROUNDED, data)
    assert effect.title.endswith("exploratory)")


def test_pooled_rounds_are_confirmatory_only_when_they_fixed_the_same_plan(make_user):
    first, _, _ = _sealed_round(make_user)
    same, _, _ = _sealed_round(make_user)
    other, _, _ = _sealed_round(make_user, plan="H1: an offer raises confidence at 4 weeks.")
    confirmatory, verdict = lottery.plan_verdict(impact.analysis_plans([first.pk, same.pk]))
    assert confirmatory and verdict.startswith("Confirmatory: follows the analysis plan")
    checks = impact.analysis_plans([first.pk, other.pk])
    assert all(check.confirmatory for check in checks)  # each round on its own follows its plan
    confirmatory, verdict = lottery.plan_verdict(checks)
    assert not confirmatory
    assert verdict.startswith(
        "Exploratory, not confirmatory: the rounds pooled here fixed different analysis plans"
    )
    assert first.commitment in verdict and other.commitment in verdict


# A round published through the selection domain (not constructed): whether it enters the
# comparison depends only on the applicants' research consent, and the page says why not.


def _published_round(make_user, consenting: int):
    """Three confirmed applicants for two places, all in one priority group, `consenting` of
    them with research consent, published by the real draw."""
    staff = make_user("staff")
    mi = MicroInternshipFactory(open_now=True, capacity=2)
    students = [StudentFactory() for _ in range(3)]
    for student in students:
        ExpressionOfInterestFactory(
            student=student, micro_internship=mi, verified_at=timezone.now()
        )
    for student in students[:consenting]:
        insights_domain.give_research_consent(student, quotes=False)
    selection_round = selection_domain.create_round(
        name="Spring, drawn", micro_internships=[mi], priority=["first_time"], actor=staff
    )
    set_interest_window_now(mi, open_it=False, actor=staff)
    selection_domain.close_round(selection_round, actor=staff)
    run = selection_domain.dry_run(selection_round, actor=staff)
    selection_domain.publish(selection_round, dry_run_id=run.pk, actor=staff)
    return selection_round, students


def test_a_published_round_with_consenting_applicants_is_in_the_comparison(make_user):
    selection_round, students = _published_round(make_user, consenting=3)
    data = impact.lottery_data()
    assert sorted(a.student for a in data.applicants) == sorted(s.student_number for s in students)
    assert sorted(a.offered for a in data.applicants) == [False, True, True]
    (row,) = impact.lottery_plan(data).rows
    assert row[0] == "Spring, drawn" and row[1] == "Exploratory"  # no plan was recorded
    assert "no round in the comparison yet" not in impact.lottery_plan(data).note


def test_without_consent_the_page_says_no_consenting_students_are_in_a_published_round(
    client, make_user
):
    _published_round(make_user, consenting=0)
    data = impact.lottery_data()
    assert data.applicants == [] and data.drawn == 3
    sign_in(client, make_user("researcher"))
    page = " ".join(client.get("/insights/impact/?year=all").content.decode().split())
    assert "no round in the comparison yet: no consenting students in a published round yet" in page


def test_with_no_published_draw_the_page_says_nothing_was_drawn_yet(client, make_user):
    sign_in(client, make_user("researcher"))
    page = " ".join(client.get("/insights/impact/?year=all").content.decode().split())
    assert "no published draw has decided between applicants alike yet" in page


def _table(page: str, caption: str) -> str:
    """The HTML of the page's table whose caption starts with ``caption``."""
    start = page.index(caption)
    return page[start : page.index("</table>", start)]


def test_the_cached_impact_page_changes_with_each_thing_it_is_computed_from(
    client, make_user, constructed_round
):
    """The page is cached under a digest of its inputs, asked on every request: an answer
    deleted or given, a consent withdrawn, a published run taken away or published, a
    population record added or changed each show on the next request."""
    sign_in(client, make_user("administrator"))  # unrounded counts: 24 is not rounded to 25
    students, mis = constructed_round["students"], constructed_round["mis"]
    url = "/insights/impact/?year=all&unrounded=on"

    def arms() -> str:
        page = client.get(url).content.decode()
        caption = "Follow-up outcomes: offered vs not offered"
        return _table(page, caption) if caption in page else ""

    def balance() -> str:
        return _table(client.get(url).content.decode(), "Baseline balance")

    assert "<td>25</td>" in arms() and "<td>24</td>" not in arms()
    follow_up = Invitation.objects.get(student=students["A100"], micro_internship=mis["A"])
    follow_up.response.delete()  # an answer goes: the offered arm has 24 answers
    assert "<td>24</td>" in arms()
    Invitation.objects.filter(pk=follow_up.pk).update(responded_at=None)
    _follow_up(students["A100"], mis["A"], 1, 1)  # and is given again
    assert "<td>24</td>" not in arms()

    insights_domain.withdraw_research_consent(students["A101"])
    assert "<td>24</td>" in arms()

    published = SelectionRun.objects.get(kind="published")
    inputs, result, selection_round = published.inputs, published.result, published.round
    published.delete()
    assert "<td>24</td>" not in arms()
    SelectionRun.objects.create(
        round=selection_round, kind="published", inputs=inputs, result=result
    )
    assert "<td>24</td>" in arms()

    before = balance()
    year = str(AcademicYear.containing(mis["A"].starts_at))
    records = [
        PopulationRecord.objects.create(
            student=student, academic_year=year, first_in_family=number[1] == "1"
        )
        for number, student in students.items()
    ]
    with_records = balance()
    assert with_records != before
    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False):
        for record in records:  # as a corrected import would
            record.first_in_family = not record.first_in_family
            record.save()
    assert balance() not in (before, with_records)
