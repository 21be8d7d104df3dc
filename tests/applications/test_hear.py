"""HEAR section 6.1: staff verify each attended student's entry, and the registry's CSV holds
only verified entries of students still marked as attended."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from microintern.applications.hear import HearEntryRefused, verify_hear_entry
from microintern.applications.models import HearEntry
from microintern.core.models import ActivityLog
from microintern.programme.enums import MicroInternshipState
from tests.accounts.factories import sign_in
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory, on_the_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(django_capture_on_commit_callbacks):
    """Three students on one micro-internship: two attended, one did not."""
    mi = MicroInternshipFactory(
        state=MicroInternshipState.SELECTION_PUBLISHED,
        starts_at=timezone.now() + timedelta(days=1),
        interest_opens_at=timezone.now() - timedelta(days=20),
        interest_closes_at=timezone.now() - timedelta(days=10),
    )
    places = [
        ExpressionOfInterestFactory(micro_internship=mi, state=PlaceState.ACCEPTED)
        for _ in range(3)
    ]
    with on_the_day(mi, hours=7):
        with django_capture_on_commit_callbacks(execute=True):
            transition_place(places[0], PlaceState.ATTENDED)
            transition_place(places[1], PlaceState.ATTENDED)
            transition_place(places[2], PlaceState.NO_SHOW)
        yield mi, places


def rows(response) -> list[dict]:
    assert response["Content-Type"] == "text/csv"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_staff_verify_an_entry_and_the_registry_file_has_only_verified_attended_ones(
    client, make_user, team
):
    mi, (first, second, absent) = team
    staff = make_user("staff")
    sign_in(client, staff)
    place_page = client.get(f"/staff/places/{first.pk}/").content.decode()
    assert f"/staff/micro-internships/{mi.pk}/hear/" in place_page
    page = client.get(f"/staff/micro-internships/{mi.pk}/hear/").content.decode()
    assert first.student.full_name in page and second.student.full_name in page
    assert absent.student.full_name not in page
    assert "Not verified yet" in page
    description = "Worked with a local charity on its volunteer recruitment and presented options."
    response = client.post(
        f"/staff/micro-internships/{mi.pk}/hear/",
        {"interest": first.pk, "description": description},
    )
    assert response.status_code == 302
    exported = rows(client.get("/staff/hear.csv"))
    assert len(exported) == 1  # the second was never verified, the third did not attend
    (row,) = exported
    assert row["Student number"] == first.student.student_number
    assert row["Activity"] == f"Micro-internship: {mi.title} ({mi.challenge.organisation.name})"
    assert row["Role"] and row["Description"] == description
    assert row["Start date"] == timezone.localdate(mi.starts_at).isoformat()
    assert row["End date"] == timezone.localdate(mi.ends_at).isoformat()
    assert row["Verified by"] == staff.email
    assert ActivityLog.objects.filter(action="hear.verified", actor=staff).count() == 1
    assert ActivityLog.objects.filter(action="hear.exported", actor=staff).count() == 1


def test_a_description_over_400_characters_is_refused_naming_its_length_and_kept(
    client, make_user, team
):
    mi, (first, _, _) = team
    sign_in(client, make_user("staff"))
    long = "A" * 401
    response = client.post(
        f"/staff/micro-internships/{mi.pk}/hear/", {"interest": first.pk, "description": long}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The HEAR allows 400 characters in a description; this one has 401." in page
    assert long in page  # what was typed is still there, to shorten
    assert not HearEntry.objects.exists()
    exactly = "B" * 400
    client.post(
        f"/staff/micro-internships/{mi.pk}/hear/", {"interest": first.pk, "description": exactly}
    )
    assert HearEntry.objects.get().description == exactly


def test_an_entry_is_only_for_an_attended_student_and_a_correction_drops_it(
    client, make_user, team
):
    mi, (first, _, absent) = team
    staff = make_user("staff")
    with pytest.raises(HearEntryRefused, match="Only students marked as having attended"):
        verify_hear_entry(absent, "Took part.", actor=staff)
    verify_hear_entry(first, "Took part in the day.", actor=staff)
    first.refresh_from_db()
    transition_place(first, PlaceState.NO_SHOW, reason="Marked present by mistake.")
    sign_in(client, staff)
    assert rows(client.get("/staff/hear.csv")) == []


@pytest.mark.parametrize("role", ["student", "host", "researcher"])
def test_only_business_clinic_staff_see_or_export_entries(client, make_user, team, role):
    mi, (first, _, _) = team
    verify_hear_entry(first, "Took part in the day.", actor=make_user("staff"))
    sign_in(client, make_user(role))
    assert client.get("/staff/hear.csv").status_code == 403
    assert client.get(f"/staff/micro-internships/{mi.pk}/hear/").status_code == 403
    assert not ActivityLog.objects.filter(action="hear.exported").exists()
