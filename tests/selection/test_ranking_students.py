"""Students rank their choices: move up / move down on "My micro-internships" (plain forms),
frozen once interest closes, and the draw and its explanations use the order they set."""

import pytest
from django.urls import reverse
from django.utils import timezone

from microintern.applications import ranking
from microintern.applications.models import ExpressionOfInterest
from microintern.core.models import ActivityLog
from microintern.programme.domain import set_interest_window_now
from microintern.selection import domain
from tests.accounts.factories import StudentFactory

pytestmark = pytest.mark.django_db


def choice_titles(response):
    """The titles in the ranking section, top to bottom, as the page shows them."""
    return [
        row["interest"].micro_internship.title
        for row in response.context["choice_groups"][0]["rows"]
    ]


def interest(student, mi):
    return ExpressionOfInterest.objects.get(student=student, micro_internship=mi)


def test_a_student_moves_a_choice_and_the_draw_uses_it(build_round, client):
    selection_round, mis, (student,), staff = build_round(
        capacities=(1, 1, 1), interests=[(0, 1, 2)], close=False
    )
    client.force_login(student.user)
    page = client.get(reverse("applications:my_interests"))
    assert choice_titles(page) == [mi.title for mi in mis]
    text = page.content.decode()
    assert "Your choices in “Spring round”" in text
    assert "putting them in your true order is your best strategy" in text
    public = client.get(reverse("public:selection_round", args=[selection_round.pk]))
    assert "you can rank them on your “My micro-internships” page" in public.content.decode()
    assert "so ranking honestly is your best strategy" in public.content.decode()

    moved = client.post(
        reverse("applications:move_choice", args=[interest(student, mis[2]).pk, "up"]),
        follow=True,
    )
    assert f"“{mis[2].title}” is now your second choice." in moved.content.decode()
    assert choice_titles(moved) == [mis[0].title, mis[2].title, mis[1].title]
    client.post(reverse("applications:move_choice", args=[interest(student, mis[2]).pk, "up"]))
    page = client.get(reverse("applications:my_interests"))
    assert choice_titles(page) == [mis[2].title, mis[0].title, mis[1].title]
    assert ActivityLog.objects.filter(action="interest.ranked").count() == 2

    inputs = domain.build_inputs(selection_round)
    assert inputs.students[0].choices == (mis[2].reference, mis[0].reference, mis[1].reference)
    for mi in mis:
        set_interest_window_now(mi, open_it=False, actor=staff)
    result = domain.dry_run(selection_round, actor=staff).result
    (row,) = result["students"]
    assert row["offered"] == mis[2].reference
    assert "You were offered your first choice." in row["explanation"]


def test_the_first_cannot_go_up_and_the_ranking_freezes_when_interest_closes(build_round, client):
    selection_round, mis, (student,), staff = build_round(
        capacities=(1, 1), interests=[(0, 1)], close=False
    )
    first = interest(student, mis[0])
    with pytest.raises(ranking.RankingRefused, match="already your first choice"):
        ranking.move_choice(first, "up")
    with pytest.raises(ranking.RankingRefused, match="already your last choice"):
        ranking.move_choice(interest(student, mis[1]), "down")
    set_interest_window_now(mis[1], open_it=False, actor=staff)
    client.force_login(student.user)
    response = client.post(
        reverse("applications:move_choice", args=[first.pk, "down"]), follow=True
    )
    text = response.content.decode()
    assert (
        f"Interest has closed for “{mis[1].title}” ({mis[1].reference}), so your ranking of it "
        "can no longer change: the draw uses the order your choices had when interest closed."
    ) in text
    assert choice_titles(response) == [mis[0].title, mis[1].title]
    assert "this choice can no longer move" in text
    assert not any(row["up"] or row["down"] for row in response.context["choice_groups"][0]["rows"])
    assert not ActivityLog.objects.filter(action="interest.ranked").exists()


def test_nobody_moves_someone_elses_choice(build_round, client):
    selection_round, mis, (student,), staff = build_round(
        capacities=(1, 1), interests=[(0, 1)], close=False
    )
    other = StudentFactory(with_user=True)
    client.force_login(other.user)
    response = client.post(
        reverse("applications:move_choice", args=[interest(student, mis[1]).pk, "up"])
    )
    assert response.status_code == 403
    assert [i.micro_internship for i in ranking.ranked(student.interests.all())] == mis


def test_the_interest_form_asks_where_a_new_choice_comes(build_round, client):
    selection_round, mis, (student,), staff = build_round(
        capacities=(1, 1, 1), interests=[(0, 1)], close=False
    )
    ExpressionOfInterest.objects.filter(student=student, micro_internship=mis[2]).delete()
    client.force_login(student.user)
    url = reverse("applications:express_interest", args=[mis[2].reference])
    form = client.get(url).content.decode()
    assert "Where does this come among your choices in “Spring round”?" in form
    assert f"First choice, above “{mis[0].title}”" in form
    assert f"Third choice, below “{mis[1].title}”" in form
    client.post(
        url,
        {
            "statement": "I want to learn how charities plan.",
            "can_attend": "on",
            "choice_position": 1,
        },
    )
    (choices,) = ranking.choices_of(student)
    assert [i.micro_internship for i in choices.interests] == [mis[2], mis[0], mis[1]]
    # Once the first choice has closed, nothing new can go above it.
    set_interest_window_now(mis[2], open_it=False, actor=staff)
    (choices,) = ranking.choices_of(student)
    assert ranking.insertable_positions(choices, timezone.now()) == [2, 3, 4]


def test_a_decided_choice_cannot_move(build_round, django_capture_on_commit_callbacks):
    selection_round, mis, (student,), staff = build_round(capacities=(1, 1), interests=[(0, 1)])
    run = domain.dry_run(selection_round, actor=staff)
    with django_capture_on_commit_callbacks(execute=True):
        domain.publish(selection_round, dry_run_id=run.pk, actor=staff)
    with pytest.raises(ranking.RankingRefused, match="The draw for .* has been made"):
        ranking.move_choice(interest(student, mis[1]), "up")
