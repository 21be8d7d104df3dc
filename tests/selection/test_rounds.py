"""Selection rounds against the database: who is considered, priority groups, dry runs,
overrides and publishing (the outcome each student would notice: state, reason, email)."""

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from microintern.core.errors import TransitionNotAllowed
from microintern.core.models import ActivityLog
from microintern.programme.enums import MicroInternshipState
from microintern.selection import commitment, domain, engine
from microintern.selection.enums import RoundState
from microintern.selection.models import Override
from tests.accounts.factories import StudentFactory, sign_in
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory
from tests.selection.conftest import close_interest

pytestmark = pytest.mark.django_db


def outcome_of(result, student):
    return next(s for s in result["students"] if s["student_number"] == student.student_number)


def test_dry_run_offers_places_and_explains_every_outcome(build_round):
    selection_round, mis, students, staff = build_round(capacities=(2, 1), interests=[(0, 1)] * 5)
    run = domain.dry_run(selection_round, actor=staff)
    result = run.result
    assert [s["outcome"] for s in result["students"]].count("offered") == 3
    assert len(result["students"]) == 5
    for s in result["students"]:
        assert s["explanation"].startswith("Priority group 1: never taken part")
    assert len(result["micro_internships"][0]["team"]) == 2
    waiting = [s for s in result["students"] if s["outcome"] == "waitlisted"]
    assert len(waiting) == 2
    assert "You were not offered a place this time" in waiting[0]["explanation"]
    assert selection_round.state == RoundState.DRY_RUN
    # Nothing changed for anyone, and nobody was emailed.
    assert {i.state for s in students for i in s.interests.all()} == {PlaceState.RECEIVED}
    assert not mail.outbox


def test_micro_internships_on_the_same_day_are_listed_by_reference(make_user):
    """The result, the pages and the audit file list micro-internships by day, then
    reference, whatever order they were created in (the database gives ties in any order)."""
    staff = make_user("staff")
    later_reference = MicroInternshipFactory(open_now=True, reference="MI-2027-020")
    earlier_reference = MicroInternshipFactory(open_now=True, reference="MI-2027-010")
    selection_round = domain.create_round(
        name="Same day",
        micro_internships=[later_reference, earlier_reference],
        priority=["first_time"],
        actor=staff,
    )
    close_interest(selection_round, [later_reference, earlier_reference], staff)
    result = domain.dry_run(selection_round, actor=staff).result
    assert [m["reference"] for m in result["micro_internships"]] == ["MI-2027-010", "MI-2027-020"]


def test_the_result_is_the_engines_with_the_published_seed(build_round):
    selection_round, mis, students, staff = build_round(capacities=(3,), interests=[(0,)] * 8)
    result = domain.dry_run(selection_round, actor=staff).result
    # The lottery: keyed by the seed and the sealed participant list, each student's
    # message their pseudonym (both computable by an outsider once the seed is public).
    selection_round.refresh_from_db()
    key = commitment.draw_key(selection_round.seed, selection_round.participants_digest)
    by_lottery = sorted(
        students,
        key=lambda s: engine.lottery_number(
            key, commitment.pseudonym(selection_round.seed, s.student_number)
        ),
    )
    assert result["micro_internships"][0]["team"] == [s.student_number for s in by_lottery[:3]]
    assert result["micro_internships"][0]["waitlist"] == [s.student_number for s in by_lottery[3:]]
    # The same round run again gives the same result.
    assert domain.dry_run(selection_round, actor=staff).result == result


def test_first_timers_then_widening_participation_then_everyone_else(build_round):
    selection_round, (mi,), students, staff = build_round(
        capacities=(1,), interests=[], close=False
    )
    past = MicroInternshipFactory()
    attended, no_show, wp, plain = (StudentFactory(with_user=True) for _ in range(4))
    for s, state in ((attended, PlaceState.ATTENDED), (no_show, PlaceState.NO_SHOW)):
        ExpressionOfInterestFactory(student=s, micro_internship=past, state=state)
    for s in (wp, plain):
        ExpressionOfInterestFactory(student=s, micro_internship=past, state=PlaceState.ATTENDED)
    wp.carer = True
    wp.save()
    for s in (attended, no_show, wp, plain):
        ExpressionOfInterestFactory(student=s, micro_internship=mi, verified_at=timezone.now())
    close_interest(selection_round, [mi], staff)
    result = domain.compute(selection_round)[1]
    groups = {s["student_number"]: s["group"] for s in result["students"]}
    # A no-show has not had the opportunity: never penalised.
    assert groups[no_show.student_number] == 1
    assert groups[wp.student_number] == 2
    assert groups[attended.student_number] == groups[plain.student_number] == 3
    assert result["micro_internships"][0]["team"] == [no_show.student_number]
    # Staff switch the first-time group off: only by re-opening the round (public), and the
    # carer comes first.
    with pytest.raises(TransitionNotAllowed, match="policy is fixed"):
        domain.update_policy(
            selection_round, priority=["widening_participation"], entries=[], reason="x"
        )
    domain.reopen_round(selection_round, reason="The committee changed the groups.", actor=staff)
    domain.update_policy(
        selection_round, priority=["widening_participation"], entries=[], reason="Committee."
    )
    domain.close_round(selection_round, actor=staff)
    result = domain.compute(selection_round)[1]
    assert result["micro_internships"][0]["team"] == [wp.student_number]
    assert result["groups"] == {"1": "widening-participation flag", "2": "everyone else"}


def test_who_is_considered(build_round):
    selection_round, (mi, other), _students, staff = build_round(
        capacities=(3, 3), interests=[], close=False
    )
    now = timezone.now()
    counted = ExpressionOfInterestFactory(micro_internship=mi, verified_at=now)
    unconfirmed = ExpressionOfInterestFactory(micro_internship=mi)
    cannot = ExpressionOfInterestFactory(micro_internship=mi, verified_at=now, can_attend=False)
    placed = ExpressionOfInterestFactory(micro_internship=other, verified_at=now)
    transition_place(placed, PlaceState.OFFERED)
    also = ExpressionOfInterestFactory(micro_internship=mi, student=placed.student, verified_at=now)
    close_interest(selection_round, [mi, other], staff)
    result = domain.compute(selection_round)[1]
    rows = {s["student_number"]: s for s in result["students"]}
    assert rows[counted.student.student_number]["outcome"] == "offered"
    assert unconfirmed.student.student_number not in rows
    assert result["unconfirmed"] == 1
    assert rows[cannot.student.student_number]["outcome"] == "not_selected"
    assert "could not come" in rows[cannot.student.student_number]["explanation"]
    assert rows[also.student.student_number]["outcome"] == "not_selected"
    assert rows[also.student.student_number]["decisions"] == {}  # left as it is
    # The seat already offered is not in the draw again.
    places = {m["reference"]: m["places_for_draw"] for m in result["micro_internships"]}
    assert places[other.reference] == 2


def test_once_the_student_record_is_imported_only_enrolled_students_are_considered(build_round):
    selection_round, (mi,), _students, staff = build_round(
        capacities=(3,), interests=[], close=False
    )
    now = timezone.now()
    on_record = ExpressionOfInterestFactory(
        micro_internship=mi, verified_at=now, student__record_imported_at=now
    )
    not_on_record = ExpressionOfInterestFactory(micro_internship=mi, verified_at=now)
    close_interest(selection_round, [mi], staff)
    rows = {s["student_number"]: s for s in domain.compute(selection_round)[1]["students"]}
    assert rows[on_record.student.student_number]["outcome"] == "offered"
    missing = rows[not_on_record.student.student_number]
    assert missing["outcome"] == "not_selected"
    assert "could not find you on the university's student record" in missing["explanation"]
    assert missing["decisions"][mi.reference][0] == PlaceState.NOT_SELECTED


def test_before_any_student_record_import_enrolment_is_not_checked(build_round):
    selection_round, (mi,), _students, staff = build_round(
        capacities=(3,), interests=[], close=False
    )
    interest = ExpressionOfInterestFactory(micro_internship=mi, verified_at=timezone.now())
    close_interest(selection_round, [mi], staff)
    rows = {s["student_number"]: s for s in domain.compute(selection_round)[1]["students"]}
    assert rows[interest.student.student_number]["outcome"] == "offered"


def test_ranking_defaults_to_the_order_they_applied_in(build_round):
    selection_round, (a, b), _s, staff = build_round(capacities=(1, 1), interests=[], close=False)
    student = StudentFactory(with_user=True)
    now = timezone.now()
    ExpressionOfInterestFactory(
        student=student, micro_internship=b, verified_at=now, received_at=now
    )
    ExpressionOfInterestFactory(
        student=student,
        micro_internship=a,
        verified_at=now,
        received_at=now + timezone.timedelta(minutes=1),
    )
    close_interest(selection_round, [a, b], staff)
    inputs = domain.build_inputs(selection_round)
    assert inputs.students[0].choices == (b.reference, a.reference)


def test_reserve_and_programme_cap_warnings(build_round):
    selection_round, (mi,), students, staff = build_round(
        capacities=(3,), interests=[(0,)] * 6, close=False
    )
    for s in students[:2]:
        s.first_in_family = True
        s.save()
    entry = selection_round.entries.get()
    # The two first-in-family students are group 1; keep 2 of the 3 places for group 2.
    domain.update_policy(
        selection_round,
        priority=["widening_participation", "first_time"],
        entries=[{"entry": entry, "reserve_group": 2, "reserve_seats": 2, "programme_cap": 1}],
        reason="Keep places for first-timers.",
    )
    with pytest.raises(TransitionNotAllowed, match="cannot be larger"):
        domain.update_policy(
            selection_round,
            priority=["first_time"],
            entries=[
                {"entry": entry, "reserve_group": 1, "reserve_seats": 4, "programme_cap": None}
            ],
            reason="Too many.",
        )
    close_interest(selection_round, [mi], staff)
    result = domain.dry_run(selection_round, actor=staff).result
    outcome = result["micro_internships"][0]
    assert outcome["reserved_filled"] == 2
    groups = {s["student_number"]: s["group"] for s in result["students"]}
    assert sorted(groups[sn] for sn in outcome["team"]) == [1, 2, 2]
    left_out = next(s for s in result["students"] if s["group"] == 1 and s["outcome"] != "offered")
    assert "after 2 places kept for priority group 2" in left_out["explanation"]
    assert result["warnings"] == [
        f"{mi.reference}: 3 students from BA Business Management (the soft cap is 1)"
    ]


def test_a_round_must_be_set_up_before_interest_closes(build_round, make_user):
    mi = MicroInternshipFactory(
        state=MicroInternshipState.CLOSED,
        interest_opens_at=timezone.now() - timezone.timedelta(days=5),
        interest_closes_at=timezone.now() - timezone.timedelta(days=1),
    )
    with pytest.raises(TransitionNotAllowed, match="already closed"):
        domain.create_round(name="Late", micro_internships=[mi], priority=["first_time"])


def test_overrides_need_a_reason_and_are_logged(build_round):
    selection_round, (mi,), students, staff = build_round(capacities=(1,), interests=[(0,)] * 3)
    with pytest.raises(TransitionNotAllowed, match="reason"):
        domain.add_override(
            selection_round,
            student=students[0],
            micro_internship=mi,
            action="add",
            reason="   ",
            actor=staff,
        )
    # The database refuses an override without a reason too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Override.objects.create(
            round=selection_round,
            student=students[0],
            micro_internship=mi,
            action="add",
            reason=" ",
        )
    result = domain.dry_run(selection_round, actor=staff).result
    winner = result["micro_internships"][0]["team"][0]
    loser = next(s for s in students if s.student_number != winner)
    winner_student = next(s for s in students if s.student_number == winner)
    domain.add_override(
        selection_round,
        student=winner_student,
        micro_internship=mi,
        action="remove",
        reason="Asked to be considered next term instead.",
        actor=staff,
    )
    domain.add_override(
        selection_round,
        student=loser,
        micro_internship=mi,
        action="add",
        reason="Access needs: this date is the only one they can do.",
        actor=staff,
    )
    result = domain.dry_run(selection_round, actor=staff).result
    assert result["micro_internships"][0]["given_by_staff"] == [loser.student_number]
    rows = {s["student_number"]: s for s in result["students"]}
    assert rows[loser.student_number]["outcome"] == "offered"
    assert "gave you a place: Access needs" in rows[loser.student_number]["explanation"]
    assert rows[winner]["decisions"][mi.reference] == [
        "not_selected",
        "The Business Clinic team took you out of this selection: Asked to be considered next "
        "term instead.",
    ]
    logged = ActivityLog.objects.filter(action="selection.override_added")
    assert [e.data["reason"] for e in logged.order_by("pk")] == [
        "Asked to be considered next term instead.",
        "Access needs: this date is the only one they can do.",
    ]
    assert all(e.actor == staff for e in logged)


def test_publish_offers_waitlists_and_tells_everyone(
    build_round, django_capture_on_commit_callbacks
):
    selection_round, (a, b), students, staff = build_round(
        capacities=(2, 1), interests=[(0, 1)] * 5
    )
    run = domain.dry_run(selection_round, actor=staff)
    with django_capture_on_commit_callbacks(execute=True):
        published = domain.publish(selection_round, dry_run_id=run.pk, actor=staff)
    assert published.result == run.result
    selection_round.refresh_from_db()
    assert selection_round.state == RoundState.PUBLISHED
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.state == b.state == MicroInternshipState.SELECTION_PUBLISHED
    offered = [i for s in students for i in s.interests.filter(state=PlaceState.OFFERED)]
    assert len(offered) == 3
    for interest in offered:
        row = outcome_of(run.result, interest.student)
        assert interest.outcome_reason == row["explanation"]
        assert interest.offer_expires_at is not None
    waitlisted = [i for s in students for i in s.interests.filter(state=PlaceState.WAITLISTED)]
    # Two students with no place wait on both lists; the one offered their second choice
    # waits for their first.
    assert len(waitlisted) == 5
    assert all(i.outcome_reason.startswith("You are number ") for i in waitlisted)
    # Every interest was decided and every student was emailed.
    states = {i.state for s in students for i in s.interests.all()}
    assert PlaceState.RECEIVED not in states
    subjects = {m.to[0] for m in mail.outbox}
    assert {s.email for s in students} <= subjects
    offer_email = next(m for m in mail.outbox if m.to == [offered[0].student.email])
    assert "Why: Priority group 1: never taken part" in offer_email.body
    assert "Lottery position" in offer_email.body
    with pytest.raises(TransitionNotAllowed, match="published"):
        domain.dry_run(selection_round, actor=staff)


def test_publish_refuses_when_something_changed_or_interest_is_open(build_round):
    selection_round, (mi,), students, staff = build_round(
        capacities=(1,), interests=[(0,)] * 3, close=False
    )
    with pytest.raises(TransitionNotAllowed, match="Interest is still open"):
        domain.dry_run(selection_round, actor=staff)
    close_interest(selection_round, [mi], staff)
    run = domain.dry_run(selection_round, actor=staff)
    transition_place(students[0].interests.get(), PlaceState.WITHDRAWN)
    with pytest.raises(TransitionNotAllowed, match="Something changed"):
        domain.publish(selection_round, dry_run_id=run.pk, actor=staff)
    assert selection_round.state != RoundState.PUBLISHED
    assert not mail.outbox


def test_a_place_given_by_staff_needs_a_confirmed_interest_and_a_free_place(build_round):
    selection_round, (mi,), students, staff = build_round(
        capacities=(1,), interests=[(0,)] * 2, close=False
    )
    unconfirmed = ExpressionOfInterestFactory(micro_internship=mi)
    cannot = ExpressionOfInterestFactory(
        micro_internship=mi, verified_at=timezone.now(), can_attend=False
    )
    close_interest(selection_round, [mi], staff)
    domain.add_override(
        selection_round,
        student=unconfirmed.student,
        micro_internship=mi,
        action="add",
        reason="Told us in person.",
        actor=staff,
    )
    result = domain.dry_run(selection_round, actor=staff).result
    assert result["overrides_not_applied"] == [
        f"{unconfirmed.student.student_number} on {mi.reference}"
    ]
    assert len(result["micro_internships"][0]["team"]) == 1
    # A student who said they cannot come can still be given a place by staff.
    domain.add_override(
        selection_round,
        student=cannot.student,
        micro_internship=mi,
        action="add",
        reason="Their shift changed; they can come.",
        actor=staff,
    )
    result = domain.dry_run(selection_round, actor=staff).result
    assert result["micro_internships"][0]["given_by_staff"] == [cannot.student.student_number]
    assert result["micro_internships"][0]["team"] == []  # the one place went to them
    assert {s["outcome"] for s in result["students"] if s["group"]} == {"waitlisted"}
    # Two places given by staff on a one-place day cannot be run.
    domain.add_override(
        selection_round,
        student=students[0],
        micro_internship=mi,
        action="add",
        reason="Asked by the host.",
        actor=staff,
    )
    with pytest.raises(TransitionNotAllowed, match="Remove an override"):
        domain.dry_run(selection_round, actor=staff)


def test_staff_publish_through_the_worker(build_round, django_capture_on_commit_callbacks):
    selection_round, (mi,), students, staff = build_round(capacities=(1,), interests=[(0,)] * 3)
    run = domain.dry_run(selection_round, actor=staff)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        domain.start_publishing(selection_round, dry_run_id=run.pk, actor=staff)
    selection_round.refresh_from_db()
    assert selection_round.state == RoundState.PUBLISHING
    # Nothing can change the round while the worker publishes it.
    with pytest.raises(TransitionNotAllowed, match="being published"):
        domain.dry_run(selection_round, actor=staff)
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    selection_round.refresh_from_db()
    assert selection_round.state == RoundState.PUBLISHED
    published = ActivityLog.objects.get(action="selection.published")
    assert published.actor == staff
    assert published.data["seed"] == selection_round.seed


def test_publishing_that_finds_a_change_goes_back_to_dry_run(
    build_round, django_capture_on_commit_callbacks, client
):
    selection_round, (mi,), students, staff = build_round(capacities=(1,), interests=[(0,)] * 2)
    run = domain.dry_run(selection_round, actor=staff)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        domain.start_publishing(selection_round, dry_run_id=run.pk, actor=staff)
    # A student withdraws before the worker gets to it.
    transition_place(students[0].interests.get(), PlaceState.WITHDRAWN)
    for callback in callbacks:
        callback()
    selection_round.refresh_from_db()
    assert selection_round.state == RoundState.DRY_RUN
    assert {i.state for s in students[1:] for i in s.interests.all()} == {PlaceState.RECEIVED}
    sign_in(client, staff)
    page = client.get(f"/staff/selection/{selection_round.pk}/").content.decode()
    assert "Publishing did not happen" in page
    assert "Something changed since this dry run" in page


def test_the_publish_confirmation_says_who_is_emailed_and_unheld_they_go_at_once(
    build_round, client, django_capture_on_commit_callbacks
):
    selection_round, (mi,), students, staff = build_round(capacities=(1,), interests=[(0,)] * 2)
    run = domain.dry_run(selection_round, reason="Check.", actor=staff)
    sign_in(client, staff)
    page = client.get(f"/staff/selection/{selection_round.pk}/").content.decode()
    said = " ".join(BeautifulSoup(page, "html.parser").get_text(" ").split())
    assert "It emails 2 students, those in the table above" in said
    assert "Offered a place: 1" in said and "On the waiting list: 1" in said
    assert "Hold the emails so I can check them first" in said  # an option, not ticked
    assert 'name="hold_emails" value="yes" checked' not in page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/staff/selection/{selection_round.pk}/publish/", {"run": run.pk}, follow=True
        )
    assert "Hold all" not in response.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(s.email for s in students)
