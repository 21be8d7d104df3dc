"""Running a challenge again on a new day: staff duplicate a micro-internship; the copy
keeps the host, challenge, subject area, venue and capacity, and nothing of its students."""

from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from microintern.applications.enums import PlaceState
from microintern.core.errors import TransitionNotAllowed
from microintern.core.models import ActivityLog
from microintern.hosts.enums import ChallengeState
from microintern.mail.models import OutboundMessage
from microintern.programme.domain import duplicate_micro_internship
from microintern.programme.enums import MicroInternshipState
from microintern.programme.models import MicroInternship
from tests.applications.factories import ExpressionOfInterestFactory
from tests.hosts.factories import ChallengeFactory
from tests.programme.factories import MicroInternshipFactory, local_day_at

pytestmark = pytest.mark.django_db

WATCHED = (
    "reference",
    "state",
    "starts_at",
    "ends_at",
    "capacity",
    "venue_address",
    "interest_opens_at",
    "interest_closes_at",
)


@pytest.fixture
def original():
    challenge = ChallengeFactory(state=ChallengeState.SCHEDULED, subject_area="Marketing")
    mi = MicroInternshipFactory(
        challenge=challenge,
        state=MicroInternshipState.SELECTION_PUBLISHED,
        capacity=6,
        venue_address="The Old Mill\nRiverside",
        accessibility_notes="Lift to every floor.",
        what_to_bring="A laptop.",
        starts_at=local_day_at(20, time(10, 0)),
        ends_at=local_day_at(20, time(15, 30)),
    )
    for state in (PlaceState.ACCEPTED, PlaceState.ACCEPTED, PlaceState.WAITLISTED):
        ExpressionOfInterestFactory(micro_internship=mi, state=state)
    return mi


def as_saved(mi):
    mi = MicroInternship.objects.get(pk=mi.pk)
    return {name: getattr(mi, name) for name in WATCHED}


def new_day(days=120):
    return {
        "starts_at": local_day_at(days, time(10, 0)),
        "ends_at": local_day_at(days, time(15, 30)),
        "interest_opens_at": local_day_at(days - 40),
        "interest_closes_at": local_day_at(days - 10),
    }


def test_the_copy_is_a_draft_with_no_places_and_the_original_is_untouched(original):
    before = as_saved(original)
    copy = duplicate_micro_internship(original, **new_day())
    assert copy.pk != original.pk and copy.reference != original.reference
    assert copy.state == MicroInternshipState.DRAFT
    assert copy.interests.count() == 0
    assert copy.challenge == original.challenge  # same host, text and subject area
    assert (copy.capacity, copy.venue_address, copy.what_to_bring) == (
        6,
        "The Old Mill\nRiverside",
        "A laptop.",
    )
    assert timezone.localdate(copy.starts_at) == timezone.localdate() + timedelta(days=120)
    assert as_saved(original) == before
    assert original.interests.count() == 3
    entry = ActivityLog.objects.get(action="micro_internship.duplicated")
    assert entry.object_id == str(copy.pk) and entry.data["original"] == original.reference
    assert OutboundMessage.objects.filter(role="micro_internship_scheduled_host").exists()


def test_an_archived_challenge_is_not_run_again_and_nothing_is_made(original):
    ChallengeFactory._meta.model.objects.filter(pk=original.challenge_id).update(
        state=ChallengeState.ARCHIVED
    )
    original.refresh_from_db()
    with pytest.raises(TransitionNotAllowed, match="archived"):
        duplicate_micro_internship(original, **new_day())
    assert MicroInternship.objects.count() == 1


def form_data(day, **extra):
    now = timezone.localtime()
    return {
        "subject_area": "Marketing",
        "day": day.isoformat(),
        "start_time": "10:00",
        "end_time": "15:30",
        "venue_address": "The Old Mill\nRiverside",
        "capacity": "6",
        "interest_opens_at": now.strftime("%Y-%m-%dT%H:%M"),
        "interest_closes_at": (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        **extra,
    }


def test_staff_start_from_the_original_and_choose_only_the_new_day(staff_client, original):
    url = reverse("staff:duplicate_micro_internship", args=[original.pk])
    detail = staff_client.get(reverse("staff:micro_internship", args=[original.pk]))
    assert url in detail.content.decode()
    page = staff_client.get(url).content.decode()
    assert "The Old Mill" in page and "Lift to every floor." in page
    assert 'value="Marketing"' in page and 'value="10:00"' in page
    assert 'value="6"' in page
    day = timezone.localdate() + timedelta(days=90)
    response = staff_client.post(url, form_data(day))
    copy = MicroInternship.objects.exclude(pk=original.pk).get()
    assert response.status_code == 302 and response.url.endswith(f"/{copy.pk}/")
    assert copy.state == MicroInternshipState.DRAFT and copy.capacity == 6
    assert timezone.localtime(copy.starts_at).time() == time(10, 0)
    assert copy.interests.count() == 0


def test_a_bad_day_is_refused_with_a_message_and_what_was_typed_is_kept(staff_client, original):
    url = reverse("staff:duplicate_micro_internship", args=[original.pk])
    past = timezone.localdate() - timedelta(days=1)
    response = staff_client.post(
        url, form_data(past, what_to_bring="Walking boots and a raincoat.")
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Please choose a day after today." in page
    assert "Walking boots and a raincoat." in page
    assert MicroInternship.objects.count() == 1
