"""Everything tied to the day waits for it: the register (attended / no-show with the
thank-you and "we missed you" emails), marking the day completed and certificates open on
the UK date of `starts_at` (Europe/London) and not a minute before; afterwards a changed
mark is a correction that needs a reason.

Each test runs at a fixed instant: 23:30 the night before, 00:05 on the day (in winter,
when the UK is on UTC, and in summer time, when 00:05 is still the day before in UTC) and
the day after."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from microintern.applications.certificate import certificate_pdf
from microintern.applications.domain import record_attendance, transition_place
from microintern.applications.enums import PlaceState
from microintern.core.errors import TransitionNotAllowed
from microintern.core.models import ActivityLog
from microintern.mail.models import OutboundMessage
from microintern.programme.domain import NotYetTheDay, transition_micro_internship
from microintern.programme.enums import MicroInternshipState
from tests.accounts.factories import sign_in
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db

UK = ZoneInfo("Europe/London")
WINTER_DAY = datetime(2027, 1, 13, 9, 30, tzinfo=UK)  # Wednesday, GMT (UTC+0)
SUMMER_DAY = datetime(2027, 7, 14, 9, 30, tzinfo=UK)  # Wednesday, BST (UTC+1)
WINTER_WORDS = "Wednesday 13 January 2027"
SUMMER_WORDS = "Wednesday 14 July 2027"

NIGHT_BEFORE = {
    "winter": datetime(2027, 1, 12, 23, 30, tzinfo=UK),
    "summer": datetime(2027, 7, 13, 23, 30, tzinfo=UK),  # 22:30 UTC
}
JUST_AFTER_MIDNIGHT = {
    "winter": datetime(2027, 1, 13, 0, 5, tzinfo=UK),
    "summer": datetime(2027, 7, 14, 0, 5, tzinfo=UK),  # 23:05 UTC on the 13th
}
DAYS = {"winter": (WINTER_DAY, WINTER_WORDS), "summer": (SUMMER_DAY, SUMMER_WORDS)}
DAY_AFTER = datetime(2027, 1, 14, 10, 0, tzinfo=UK)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a block and then its after-commit work (the emails), as a real request would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def day_with_team(starts_at, n=2):
    """A micro-internship on `starts_at` whose selection is published, with `n` accepted
    places (made at 1 December 2026, before the day)."""
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=UK), tick=False):
        mi = MicroInternshipFactory(
            starts_at=starts_at, state=MicroInternshipState.SELECTION_PUBLISHED
        )
        team = [
            ExpressionOfInterestFactory(micro_internship=mi, state=PlaceState.ACCEPTED)
            for _ in range(n)
        ]
    return mi, team


def states(team):
    return [PlaceState(type(i).objects.get(pk=i.pk).state) for i in team]


def nothing_sent():
    return OutboundMessage.objects.count() == 0 and not mail.outbox


# Before the day: the domain refuses, naming the day; nothing is saved or emailed.


@pytest.mark.parametrize("season", ["winter", "summer"])
def test_the_night_before_the_register_refuses_and_names_the_day(season, committed):
    starts_at, words = DAYS[season]
    mi, team = day_with_team(starts_at)
    with time_machine.travel(NIGHT_BEFORE[season], tick=False):
        with pytest.raises(NotYetTheDay) as refused, committed():
            record_attendance(mi, {team[0].pk: "present", team[1].pk: "absent"})
        assert str(refused.value) == f"The register opens on {words}, the day itself."
        for to_state in (PlaceState.ATTENDED, PlaceState.NO_SHOW):  # the staff decision path
            with pytest.raises(NotYetTheDay, match=words), committed():
                transition_place(team[0], to_state)
        with pytest.raises(NotYetTheDay) as refused, committed():
            transition_micro_internship(mi, MicroInternshipState.COMPLETED)
        assert str(refused.value) == (
            f"This micro-internship can be marked completed from {words}, the day itself."
        )
    assert states(team) == [PlaceState.ACCEPTED, PlaceState.ACCEPTED]
    mi.refresh_from_db()
    assert mi.state == MicroInternshipState.SELECTION_PUBLISHED
    assert nothing_sent()
    assert not ActivityLog.objects.filter(action__in=["place.attended", "place.no_show"])


@pytest.mark.parametrize("season", ["winter", "summer"])
def test_from_five_past_midnight_on_the_day_the_register_is_open(season, committed):
    starts_at, _ = DAYS[season]
    mi, (present, absent) = day_with_team(starts_at)
    with time_machine.travel(JUST_AFTER_MIDNIGHT[season], tick=False), committed():
        assert record_attendance(mi, {present.pk: "present", absent.pk: "absent"}) == (2, [])
        transition_micro_internship(mi, MicroInternshipState.COMPLETED)
    assert states([present, absent]) == [PlaceState.ATTENDED, PlaceState.NO_SHOW]
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects[present.student.email].startswith("Thank you for taking part")
    assert subjects[absent.student.email].startswith("We missed you")
    mi.refresh_from_db()
    assert mi.state == MicroInternshipState.COMPLETED


def test_a_certificate_is_not_issued_before_the_day_even_for_a_mark_made_early(client):
    """A place marked attended early (as the old register allowed) issues nothing yet."""
    mi, (attended,) = day_with_team(WINTER_DAY, n=1)
    type(attended).objects.filter(pk=attended.pk).update(state=PlaceState.ATTENDED)
    attended.refresh_from_db()
    with time_machine.travel(NIGHT_BEFORE["winter"], tick=False):
        with pytest.raises(NotYetTheDay, match="Certificates are issued from Wednesday 13"):
            certificate_pdf(attended)
        client.force_login(attended.student.user)
        response = client.get(f"/my/places/{attended.pk}/certificate.pdf")
    assert response.status_code == 404
    page = response.content.decode()
    assert f"Certificates are issued from {WINTER_WORDS}, the day itself." in page
    with time_machine.travel(JUST_AFTER_MIDNIGHT["winter"], tick=False):
        response = client.get(f"/my/places/{attended.pk}/certificate.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


# The staff pages: the action shows as not yet available, with the sentence.


def test_the_register_page_before_the_day_says_when_it_opens_and_has_no_form(client, make_user):
    mi, team = day_with_team(WINTER_DAY)
    with time_machine.travel(NIGHT_BEFORE["winter"], tick=False):
        sign_in(client, make_user("staff"))
        response = client.get(reverse("staff:register", args=[mi.pk]))
        page = response.content.decode()
        assert response.status_code == 200
        assert f"The register opens on {WINTER_WORDS}, the day itself." in page
        assert "Save the register" not in page and 'type="radio"' not in page
        assert escape(team[0].student.full_name) in page  # who is coming is still there to see
        # A register posted all the same (an old tab) is refused in words, not saved.
        response = client.post(
            reverse("staff:register", args=[mi.pk]), {f"place-{team[0].pk}": "present"}
        )
    assert response.status_code == 400
    page = response.content.decode()
    assert f"The register opens on {WINTER_WORDS}, the day itself." in page
    assert "Nothing was saved and nobody was emailed." in page
    assert states(team) == [PlaceState.ACCEPTED, PlaceState.ACCEPTED]
    assert nothing_sent()


def test_the_micro_internship_page_before_the_day_offers_no_completion_or_marks(client, make_user):
    mi, team = day_with_team(WINTER_DAY)
    page_url = reverse("staff:micro_internship", args=[mi.pk])
    with time_machine.travel(NIGHT_BEFORE["winter"], tick=False):
        sign_in(client, make_user("staff"))
        page = client.get(page_url).content.decode()
        assert (
            "Completed: not yet available.</strong> This micro-internship can be marked "
            f"completed from {WINTER_WORDS}, the day itself." in page
        )
        assert f"The register opens on {WINTER_WORDS}, the day itself." in page
        assert '<option value="completed"' not in page
        assert '<option value="attended"' not in page and '<option value="no_show"' not in page
        assert '<option value="withdrawn"' in page  # other decisions are still offered
        # Posted all the same: refused with the sentence, nothing saved or emailed.
        response = client.post(
            reverse("staff:micro_internship_state", args=[mi.pk]), {"to_state": "completed"}
        )
        assert response.status_code == 400
        assert f"can be marked completed from {WINTER_WORDS}" in response.content.decode()
        client.post(reverse("staff:decide_place", args=[team[0].pk]), {"to_state": "attended"})
        page = client.get(page_url).content.decode()
        assert f"The register opens on {WINTER_WORDS}, the day itself." in page
    mi.refresh_from_db()
    assert mi.state == MicroInternshipState.SELECTION_PUBLISHED
    assert states(team) == [PlaceState.ACCEPTED, PlaceState.ACCEPTED]
    assert nothing_sent()


def test_on_the_day_the_pages_offer_the_register_and_completion(client, make_user):
    mi, team = day_with_team(SUMMER_DAY)
    with time_machine.travel(JUST_AFTER_MIDNIGHT["summer"], tick=False):
        sign_in(client, make_user("staff"))
        page = client.get(reverse("staff:micro_internship", args=[mi.pk])).content.decode()
        assert '<option value="completed"' in page and '<option value="attended"' in page
        assert "not yet available" not in page
        page = client.get(reverse("staff:register", args=[mi.pk])).content.decode()
        assert "Save the register" in page and "Reason for any correction" not in page
        response = client.post(
            reverse("staff:register", args=[mi.pk]),
            {f"place-{team[0].pk}": "present", f"place-{team[1].pk}": "late"},
        )
    assert response.status_code == 302
    assert states(team) == [PlaceState.ATTENDED, PlaceState.ATTENDED]
    assert OutboundMessage.objects.filter(role="thank_you").count() == 2


# After the day: still open; a changed mark is a correction that needs a reason, logged.


def test_after_the_day_a_first_mark_needs_no_reason_but_a_correction_does(client, make_user):
    mi, (first, marked) = day_with_team(WINTER_DAY)
    with time_machine.travel(JUST_AFTER_MIDNIGHT["winter"], tick=False):
        record_attendance(mi, {marked.pk: "absent"})
    sent = OutboundMessage.objects.count()
    with time_machine.travel(DAY_AFTER, tick=False):
        # Recorded late for the first time: no reason needed.
        assert record_attendance(mi, {first.pk: "present"}) == (1, [])
        # Changing a mark already recorded: refused without a reason, nothing changes.
        with pytest.raises(TransitionNotAllowed, match="changing a mark is a correction"):
            record_attendance(mi, {marked.pk: "present"})
        with pytest.raises(TransitionNotAllowed, match="please say why"):
            transition_place(marked, PlaceState.ATTENDED)
        assert states([marked]) == [PlaceState.NO_SHOW]
        assert OutboundMessage.objects.count() == sent + 1  # only the first mark's thank-you

        sign_in(client, make_user("staff"))
        url = reverse("staff:register", args=[mi.pk])
        page = client.get(url).content.decode()
        assert "Reason for any correction" in page and "shown to the student" in page
        response = client.post(url, {f"place-{first.pk}": "present", f"place-{marked.pk}": "late"})
        assert response.status_code == 400
        page = response.content.decode()
        assert "changing a mark is a correction: please say why" in page
        assert "Nothing was saved and nobody was emailed." in page
        assert 'value="late" checked' in page  # what was chosen is kept
        assert states([marked]) == [PlaceState.NO_SHOW]
        response = client.post(
            url,
            {
                f"place-{first.pk}": "present",
                f"place-{marked.pk}": "late",
                "reason": "She signed in at 10:15; marked absent by mistake.",
            },
        )
    assert response.status_code == 302
    marked.refresh_from_db()
    assert marked.state == PlaceState.ATTENDED
    assert (
        marked.outcome_reason == "Arrived late. She signed in at 10:15; marked absent by mistake."
    )
    entry = ActivityLog.objects.get(action="place.attended", object_id=str(marked.pk))
    assert entry.data["reason"].endswith("marked absent by mistake.")
    assert entry.data["from_state"] == PlaceState.NO_SHOW
    with time_machine.travel(DAY_AFTER, tick=False):
        staff_page = client.get(reverse("staff:micro_internship", args=[mi.pk])).content.decode()
        page = client.get(url).content.decode()
        client.force_login(marked.student.user)
        their_page = client.get(reverse("applications:my_interests")).content.decode()
    assert "marked absent by mistake." in staff_page  # the log on the staff page shows why
    assert "She signed in at 10:15; marked absent by mistake." in their_page  # as the label says
    assert f'name="place-{marked.pk}" value="late" checked' in page  # read back as late
