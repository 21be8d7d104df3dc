"""Second rounds: places nobody waits for after publishing are drawn again among students not
yet placed (late confirmations, students left without a place), and each is told the truth."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from microintern.applications import links
from microintern.applications.domain import transition_place, verify_interest
from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.core.errors import TransitionNotAllowed
from microintern.programme.domain import set_interest_window_now
from microintern.selection import domain
from microintern.selection.enums import RoundState
from microintern.selection.models import SelectionRound
from tests.accounts.factories import StudentFactory, sign_in
from tests.applications.factories import ExpressionOfInterestFactory

pytestmark = pytest.mark.django_db


def interest(student, mi):
    return ExpressionOfInterest.objects.get(student=student, micro_internship=mi)


def test_places_left_after_the_waiting_lists_go_to_a_second_round(
    build_round, client, django_capture_on_commit_callbacks
):
    # A has 2 places, B has 1. x and y want A only; z wants B, then A; late said they are
    # interested in A but confirms only after the draw.
    selection_round, (a, b), (x, y, z), staff = build_round(
        capacities=(2, 1), interests=[(0,), (0,), (1, 0)], close=False
    )
    late = StudentFactory(with_user=True)
    ExpressionOfInterestFactory(
        student=late, micro_internship=a, verified_at=None, received_at=timezone.now()
    )
    for mi in (a, b):
        set_interest_window_now(mi, open_it=False, actor=staff)
    with pytest.raises(TransitionNotAllowed, match="publish this one first"):
        domain.create_second_round(selection_round, actor=staff)
    run = domain.dry_run(selection_round, actor=staff)
    with django_capture_on_commit_callbacks(execute=True):
        domain.publish(selection_round, dry_run_id=run.pk, actor=staff)
    assert interest(x, a).state == interest(y, a).state == PlaceState.OFFERED
    assert interest(z, b).state == PlaceState.OFFERED
    assert interest(z, a).state == PlaceState.NOT_SELECTED
    assert interest(late, a).state == PlaceState.RECEIVED  # not confirmed at the draw

    # Too late for the draw: the page says what will really happen, not "we will then choose".
    verify_interest(interest(late, a), how="link")
    page = client.get(
        reverse("applications:confirm_interest", args=[links.confirm_token(interest(late, a))])
    ).content.decode()
    assert "We will then choose the team" not in page
    assert "The team for this micro-internship was chosen before your interest counted" in page
    assert "the Business Clinic can run a second round for them: your interest counts in it" in page

    # While a place has someone waiting, or none is free, there is nothing for a second round.
    with pytest.raises(TransitionNotAllowed, match="nothing for a second round to fill"):
        domain.create_second_round(selection_round, actor=staff)
    with django_capture_on_commit_callbacks(execute=True):
        transition_place(interest(z, b), PlaceState.DECLINED)
        transition_place(interest(x, a), PlaceState.DECLINED)
    assert {mi.reference: free for mi, free in domain.places_left(selection_round)} == {
        a.reference: 1,
        b.reference: 1,
    }
    staff_page = client
    sign_in(staff_page, staff)
    detail = staff_page.get(reverse("staff:selection_round", args=[selection_round.pk]))
    assert "Places left after the waiting lists" in detail.content.decode()
    response = staff_page.post(reverse("staff:selection_second_round", args=[selection_round.pk]))
    second = SelectionRound.objects.exclude(pk=selection_round.pk).get()
    assert response.url == reverse("staff:selection_round", args=[second.pk])
    assert second.name == "Spring round: second round"
    assert sorted(e.micro_internship.reference for e in second.entries.all()) == sorted(
        [a.reference, b.reference]
    )
    assert (
        len(second.seed_commitment) == 64
        and second.seed_commitment != selection_round.seed_commitment
    )

    # The draw: the late confirmation and z (left without a place) compete for A's place;
    # y holds a place from the first round and takes no part.
    second_run = domain.dry_run(second, actor=staff)
    drawn = {s["student_number"] for s in second_run.result["students"]}
    assert drawn == {late.student_number, z.student_number}
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        domain.publish(second, dry_run_id=second_run.pk, actor=staff)
    second.refresh_from_db()
    assert second.state == RoundState.PUBLISHED
    states = sorted([interest(late, a).state, interest(z, a).state])
    assert states == sorted([PlaceState.OFFERED, PlaceState.WAITLISTED])
    assert interest(y, a).state == PlaceState.OFFERED
    assert {m.to[0] for m in mail.outbox} == {late.email, z.email}

    # The public page of the second round does not claim the seed came before the students.
    public = client.get(reverse("public:selection_round", args=[second.pk])).content.decode()
    assert "This is a second round" in public
    assert "not that it was chosen before anyone knew who would take part" in public
    assert "so the seed was chosen before anyone knew who would apply" not in public
