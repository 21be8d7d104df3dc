"""A round's commitment binds everything: the seed, the policy and the analysis plan before
interest closes, the participant list at close; afterwards every staff action is either
refused or listed on the public page with its time and reason."""

import html

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import escape

from microintern.applications.domain import record_interest
from microintern.mail.models import OutboundMessage
from microintern.programme.domain import set_interest_window_now, update_micro_internship
from microintern.selection import commitment, domain
from microintern.selection.enums import RoundState
from microintern.selection.models import RoundMicroInternship
from tests.accounts.factories import StudentFactory, sign_in
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory
from tests.selection.conftest import close_interest

pytestmark = pytest.mark.django_db


def public_page(client, selection_round) -> str:
    return html.unescape(client.get(f"/selection/{selection_round.pk}/").content.decode())


def test_the_fingerprint_binds_seed_policy_and_analysis_plan(build_round):
    selection_round, (mi,), _students, staff = build_round(
        capacities=(2,), interests=[], close=False
    )
    expected = commitment.commitment(
        selection_round.seed_commitment,
        {
            "priority": ["first_time", "widening_participation"],
            "micro_internships": [
                {"reference": mi.reference, "capacity": 2, "reserve": None, "programme_cap": None}
            ],
        },
        "",
    )
    assert selection_round.commitment == expected
    first = selection_round.commitment
    entry = selection_round.entries.get()
    with pytest.raises(domain.SelectionRefused, match="Give a reason"):
        domain.update_policy(
            selection_round, priority=["first_time"], entries=[], reason=" ", actor=staff
        )
    domain.update_policy(
        selection_round,
        priority=["first_time"],
        entries=[{"entry": entry, "reserve_group": None, "reserve_seats": 0, "programme_cap": 3}],
        analysis_plan="Compare offer rates by priority group.",
        reason="The committee dropped the second group.",
        actor=staff,
    )
    selection_round.refresh_from_db()
    assert selection_round.commitment != first
    assert selection_round.policy["priority"] == ["first_time"]
    assert selection_round.policy["micro_internships"][0]["programme_cap"] == 3
    assert selection_round.commitment == commitment.commitment(
        selection_round.seed_commitment,
        selection_round.policy,
        "Compare offer rates by priority group.",
    )


def test_before_close_nobody_sees_a_draw(build_round):
    selection_round, (mi,), _students, staff = build_round(
        capacities=(1,), interests=[(0,)] * 3, close=False
    )
    with pytest.raises(domain.SelectionRefused, match="Interest is still open"):
        domain.dry_run(selection_round, actor=staff)
    with pytest.raises(domain.SelectionRefused, match="Dry runs come after interest closes"):
        domain.compute(selection_round)
    with pytest.raises(CommandError, match="Dry runs come after interest closes"):
        call_command("allocate", "--round", str(selection_round.pk), "--dry-run")
    # Closing interest on the day is not enough to see it while the round is open either.
    set_interest_window_now(mi, open_it=False, actor=staff)
    with pytest.raises(domain.SelectionRefused, match="Dry runs come after interest closes"):
        domain.compute(selection_round)
    selection_round.refresh_from_db()
    assert selection_round.state == RoundState.DRAFT
    # The first dry run seals it.
    domain.dry_run(selection_round, actor=staff)
    assert selection_round.state == RoundState.DRY_RUN
    assert len(selection_round.participants_digest) == 64


def test_after_close_the_policy_is_refused_and_a_capacity_change_stops_the_draw(
    build_round, client
):
    selection_round, (mi,), _students, staff = build_round(capacities=(2,), interests=[(0,)] * 4)
    sealed = selection_round.participants_digest
    entry = selection_round.entries.get()
    with pytest.raises(domain.SelectionRefused, match="policy is fixed"):
        domain.update_policy(
            selection_round,
            priority=["first_time"],
            entries=[
                {"entry": entry, "reserve_group": 1, "reserve_seats": 1, "programme_cap": None}
            ],
            reason="Try a reserve.",
        )
    run = domain.dry_run(selection_round, reason="First look.", actor=staff)
    # A capacity change made on the micro-internship's own page after close...
    update_micro_internship(mi, {"capacity": 3}, actor=staff)
    for attempt in (
        lambda: domain.dry_run(selection_round, actor=staff),
        lambda: domain.publish(selection_round, dry_run_id=run.pk, actor=staff),
    ):
        with pytest.raises(domain.SelectionRefused, match=f"{mi.reference} places 2 → 3"):
            attempt()
    # ... can only go ahead through a public re-opening and a new seal, each with a reason.
    with pytest.raises(domain.SelectionRefused, match="Give a reason"):
        domain.reopen_round(selection_round, reason="", actor=staff)
    domain.reopen_round(selection_round, reason="The host can take a third student.", actor=staff)
    with pytest.raises(domain.SelectionRefused, match="closing with a changed policy"):
        domain.close_round(selection_round, actor=staff)
    domain.close_round(selection_round, reason="Third place confirmed by the host.", actor=staff)
    selection_round.refresh_from_db()
    assert selection_round.policy["micro_internships"][0]["capacity"] == 3
    run = domain.dry_run(selection_round, reason="After the new seal.", actor=staff)
    domain.publish(selection_round, dry_run_id=run.pk, actor=staff)
    page = public_page(client, selection_round)
    for sentence in (
        "First look.",
        "The host can take a third student.",
        "Third place confirmed by the host.",
        "After the new seal.",
        f"{mi.reference} places 2 → 3",
        sealed,
        selection_round.participants_digest,
        selection_round.commitment,
    ):
        assert sentence in page
    for what in ("Set up and committed", "Interest closed", "Re-opened", "Dry run", "Published"):
        assert what in page


def test_staff_decisions_are_listed_without_the_student_or_the_reason(build_round, client):
    selection_round, (mi,), students, staff = build_round(capacities=(1,), interests=[(0,)] * 2)
    domain.add_override(
        selection_round,
        student=students[1],
        micro_internship=mi,
        action="add",
        reason="Her sister is ill; she told us in person.",
        actor=staff,
    )
    page = public_page(client, selection_round)
    assert f"Staff decision added ({mi.reference})" in page
    assert "told to the student concerned" in page
    assert "sister" not in page
    assert students[1].student_number not in page
    assert escape(students[1].full_name) not in page


def test_a_micro_internship_is_in_one_open_round_at_a_time(build_round):
    selection_round, (mi,), _students, staff = build_round(capacities=(1,), interests=[(0,)] * 2)
    other = MicroInternshipFactory(open_now=True)
    with pytest.raises(domain.SelectionRefused, match="only one open round"):
        domain.create_round(name="Again", micro_internships=[other, mi], priority=[])
    # The database refuses it too, whatever the code does.
    again = domain.create_round(name="Other", micro_internships=[other], priority=[])
    with pytest.raises(IntegrityError), transaction.atomic():
        RoundMicroInternship.objects.create(round=again, micro_internship=mi)
    # Once the first round is published, its micro-internships are free for a later round.
    run = domain.dry_run(selection_round, actor=staff)
    domain.publish(selection_round, dry_run_id=run.pk, actor=staff)
    assert not RoundMicroInternship.objects.filter(round=selection_round, round_open=True).exists()
    RoundMicroInternship.objects.create(round=again, micro_internship=mi)


def test_every_acknowledgement_email_carries_the_fingerprint(build_round):
    selection_round, (mi,), _students, staff = build_round(
        capacities=(1,), interests=[], close=False
    )
    student = StudentFactory(with_user=True)
    record_interest(student, mi, statement="I would like to help.")
    without = MicroInternshipFactory(open_now=True)
    record_interest(student, without, statement="This one too.")
    sent = OutboundMessage.objects.filter(role="interest_acknowledged").values_list(
        "body", flat=True
    )
    (in_round,) = [body for body in sent if mi.reference in body]
    (no_round,) = [body for body in sent if without.reference in body]
    assert "the fingerprint of how we will choose" in in_round
    assert selection_round.commitment in in_round
    assert "fingerprint" not in no_round  # no round yet: no line


def test_the_acknowledgement_of_the_web_form_carries_the_fingerprint(build_round, client):
    selection_round, (mi,), _students, _staff = build_round(
        capacities=(1,), interests=[], close=False
    )
    without = MicroInternshipFactory(open_now=True)
    for n, reference in enumerate((mi.reference, without.reference)):
        client.post(
            f"/my/interest/{reference}/",
            {
                "full_name": "Priya Shah",
                "email": f"p.shah{n}@example.ac.uk",
                "student_number": f"S765432{n}",
                "statement": "One day fits around my shifts.",
                "can_attend": "on",
            },
        )
    in_round = OutboundMessage.objects.get(to="p.shah0@example.ac.uk").body
    assert selection_round.commitment in in_round
    assert "fingerprint" not in OutboundMessage.objects.get(to="p.shah1@example.ac.uk").body


def test_the_staff_page_asks_for_reasons_and_keeps_what_was_typed(build_round, client):
    selection_round, (mi,), _students, staff = build_round(capacities=(1,), interests=[(0,)] * 2)
    sign_in(client, staff)
    response = client.post(f"/staff/selection/{selection_round.pk}/dry-run/", {"reason": ""})
    assert response.status_code == 400
    assert "Give a reason; it is shown on the public page." in response.content.decode()
    response = client.post(
        f"/staff/selection/{selection_round.pk}/dry-run/", {"reason": "Before the panel."}
    )
    assert response.status_code == 302
    response = client.post(f"/staff/selection/{selection_round.pk}/reopen/", {"reason": "  "})
    assert response.status_code == 400
    response = client.post(
        f"/staff/selection/{selection_round.pk}/reopen/", {"reason": "A late withdrawal."}
    )
    assert response.status_code == 302
    selection_round.refresh_from_db()
    assert selection_round.state == RoundState.DRAFT
    # A policy change after re-opening: the form asks why and keeps the typed plan.
    response = client.post(
        f"/staff/selection/{selection_round.pk}/policy/",
        {"name": "Spring", "first_priority": "first_time", "analysis_plan": "Offer rates."},
    )
    text = response.content.decode()
    assert "Say why the policy changes" in text and "Offer rates." in text
    response = client.post(f"/staff/selection/{selection_round.pk}/close/", {"reason": ""})
    assert response.status_code == 302
    selection_round.refresh_from_db()
    assert selection_round.state == RoundState.CLOSED


def test_the_draw_changes_with_the_participant_list(build_round):
    selection_round, (mi,), students, staff = build_round(
        capacities=(1,), interests=[(0,)] * 6, close=False
    )
    close_interest(selection_round, [mi], staff)
    first = [s["student_number"] for s in domain.compute(selection_round)[1]["students"]]
    domain.reopen_round(selection_round, reason="One more student was missed.", actor=staff)
    ExpressionOfInterestFactory(
        micro_internship=mi, verified_at=timezone.now(), student=StudentFactory(with_user=True)
    )
    domain.close_round(selection_round, actor=staff)
    second = [s["student_number"] for s in domain.compute(selection_round)[1]["students"]]
    # The same seed, another participant list: another order for the same six students.
    assert [sn for sn in second if sn in first] != first


def test_policy_changes_are_said_in_plain_english():
    before = commitment.canonical_policy(
        ["first_time"],
        [
            {"reference": "MI-1", "capacity": 2, "reserve": None, "programme_cap": None},
            {"reference": "MI-2", "capacity": 5, "reserve": [2, 1], "programme_cap": 3},
        ],
    )
    after = commitment.canonical_policy(
        [],
        [
            {"reference": "MI-2", "capacity": 5, "reserve": None, "programme_cap": 4},
            {"reference": "MI-3", "capacity": 1, "reserve": None, "programme_cap": None},
        ],
    )
    assert commitment.policy_changes(before, before) == []
    assert commitment.policy_changes(before, after) == [
        "priority order first_time → none",
        "MI-1 removed",
        "MI-2 reserve 1 for group 2 → none",
        "MI-2 programme cap 3 → 4",
        "MI-3 added",
    ]


def test_leaving_or_dropping_a_choice_is_not_joining():
    sealed = [["a", ["MI-1", "MI-2", "MI-3"]], ["b", ["MI-2"]]]
    assert commitment.joined_after_close(sealed, [["a", ["MI-1", "MI-3"]]]) == []
    assert commitment.joined_after_close(sealed, [["a", ["MI-3", "MI-1"]]]) == ["a"]
    assert commitment.joined_after_close(sealed, [["b", ["MI-2", "MI-1"]]]) == ["b"]
    assert commitment.joined_after_close(sealed, [["c", ["MI-1"]]]) == ["c"]


def test_priority_groups_are_sealed_at_close_so_a_later_record_change_moves_nobody(
    build_round, client
):
    # Four students want two places; at close none is in the widening-participation group.
    selection_round, (mi,), students, staff = build_round(
        capacities=(2,), interests=[(0,)] * 4, priority=["widening_participation"]
    )
    selection_round.refresh_from_db()
    assert [entry[2] for entry in selection_round.participants] == [2, 2, 2, 2]
    first = domain.dry_run(selection_round, reason="Check.", actor=staff).result
    offered = {s["student_number"]: s["offered"] for s in first["students"]}
    losers = [s for s in students if offered[s.student_number] is None]
    assert len(losers) == 2
    # After seeing the dry run, someone marks both losers as carers on their records.
    for student in losers:
        student.carer = True
        student.save()
    run = domain.dry_run(selection_round, reason="Check again.", actor=staff)
    assert {s["student_number"]: s["offered"] for s in run.result["students"]} == offered
    assert {s["group"] for s in run.result["students"]} == {2}
    domain.publish(selection_round, dry_run_id=run.pk, actor=staff)
    audit = client.get(f"/selection/{selection_round.pk}/audit.json").json()
    assert audit["format"] == commitment.AUDIT_FORMAT
    assert {row["group"] for row in audit["participants"]} == {2}
    rows = [[r["pseudonym"], r["choices"], r["group"]] for r in audit["participants"]]
    assert commitment.participants_digest(rows) == audit["round"]["participants_digest"]


def test_only_a_public_reopening_lets_a_changed_record_change_the_group(build_round, client):
    selection_round, (mi,), students, staff = build_round(
        capacities=(1,), interests=[(0,)] * 3, priority=["widening_participation"]
    )
    first = domain.dry_run(selection_round, reason="Check.", actor=staff).result
    loser = next(s for s in first["students"] if s["offered"] is None)["student_number"]
    student = next(s for s in students if s.student_number == loser)
    student.carer = True
    student.save()
    domain.reopen_round(selection_round, reason="A carer's record was corrected.", actor=staff)
    domain.close_round(selection_round, actor=staff)
    selection_round.refresh_from_db()
    mine = commitment.pseudonym(selection_round.seed, loser)
    assert dict((e[0], e[2]) for e in selection_round.participants)[mine] == 1
    again = domain.dry_run(selection_round, reason="Check.", actor=staff).result
    assert next(s for s in again["students"] if s["student_number"] == loser)["offered"]
    assert "A carer's record was corrected." in public_page(client, selection_round)


def test_the_digest_covers_each_participant_group():
    sealed = [["a" * 64, ["MI-1", "MI-2"], 1], ["b" * 64, ["MI-2"], 2]]
    moved = [["a" * 64, ["MI-1", "MI-2"], 2], ["b" * 64, ["MI-2"], 2]]
    assert commitment.participants_digest(sealed) != commitment.participants_digest(moved)
    assert commitment.participants_digest(sealed) == commitment.sha256_hex(
        f"{'a' * 64} 1 MI-1,MI-2\n{'b' * 64} 2 MI-2"
    )
    # A list sealed before groups were keeps its digest.
    legacy = [["a" * 64, ["MI-1", "MI-2"]]]
    assert commitment.participants_digest(legacy) == commitment.sha256_hex(f"{'a' * 64} MI-1,MI-2")


def test_the_public_page_says_groups_are_fixed_at_close(build_round, client):
    selection_round, *_ = build_round(capacities=(1,), interests=[(0,)])
    assert "Your priority group is worked out when interest closes and sealed" in public_page(
        client, selection_round
    )
