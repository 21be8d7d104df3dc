"""Staff email a micro-internship's team or its host: they see exactly who it goes to, and
nothing is sent until they confirm."""

import pytest
from django.urls import reverse

from microintern.applications.enums import PlaceState
from microintern.core.models import ActivityLog
from microintern.mail.models import OutboundMessage
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db

MESSAGE = "Please bring a laptop if you have one; we will have spares."


def team(mi):
    accepted = [
        ExpressionOfInterestFactory(micro_internship=mi, state=PlaceState.ACCEPTED)
        for _ in range(2)
    ]
    ExpressionOfInterestFactory(micro_internship=mi, state=PlaceState.WAITLISTED)
    return accepted


def post(client, mi, **data):
    return client.post(reverse("staff:message_people", args=[mi.pk]), data)


def test_the_team_gets_it_only_after_staff_see_who_it_goes_to(staff_client):
    mi = MicroInternshipFactory(open_now=True)
    accepted = team(mi)
    form = {"to": "team", "subject": "What to bring", "message": MESSAGE}
    check = post(staff_client, mi, **form).content.decode()
    assert "This goes to the 2 students in the team" in check
    for place in accepted:
        assert place.student.email in check
    assert not OutboundMessage.objects.exists()  # nothing sent yet

    response = post(staff_client, mi, **form, confirmed="1")
    assert response.url.startswith(reverse("staff:micro_internship", args=[mi.pk]) + "?emails=")
    sent = OutboundMessage.objects.filter(role="team_message")
    assert sorted(m.to for m in sent) == sorted(p.student.email for p in accepted)
    assert all(MESSAGE in m.body and m.subject == f"What to bring ({mi.reference})" for m in sent)
    log = ActivityLog.objects.get(action="micro_internship.team_messaged")
    assert log.data == {"email_subject": "What to bring", "to": 2}


def test_the_host_contact_gets_it(staff_client):
    mi = MicroInternshipFactory(open_now=True)
    contact = mi.challenge.contact
    form = {"to": "host", "subject": "Parking", "message": "Is there parking for a minibus?"}
    assert contact.email in post(staff_client, mi, **form).content.decode()
    post(staff_client, mi, **form, confirmed="1")
    [sent] = OutboundMessage.objects.filter(role="host_message")
    assert sent.to == contact.email and "minibus" in sent.body
    assert sent.body.startswith(f"Dear {contact.name},")


def test_no_team_yet_is_refused_and_the_text_is_kept(staff_client):
    mi = MicroInternshipFactory(open_now=True)
    response = post(staff_client, mi, to="team", subject="Hello", message=MESSAGE, confirmed="1")
    page = response.content.decode()
    assert response.status_code == 400
    assert "Nobody has accepted a place yet: there is no team to email." in page
    assert MESSAGE in page
    assert not OutboundMessage.objects.exists()


def test_missing_fields_are_named_and_what_was_typed_stays(staff_client):
    mi = MicroInternshipFactory(open_now=True)
    response = post(staff_client, mi, message=MESSAGE)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Please choose who to send it to." in page
    assert "Please give the email a subject." in page
    assert MESSAGE in page


def test_a_team_email_sent_by_mistake_can_be_held_before_it_goes(staff_client):
    mi = MicroInternshipFactory(open_now=True)
    team(mi)
    form = {"to": "team", "subject": "Wrong day", "message": "The day moves to Friday."}
    response = post(staff_client, mi, **form, confirmed="1")
    page = staff_client.get(response.url).content.decode()
    assert "This action queued 2 emails:" in page
    assert "Hold all 2 queued emails of this action" in page
    action = response.url.split("?emails=")[1].split("#")[0]
    staff_client.post(
        reverse("staff:decide_action_emails", args=[action]), {"do": "hold", "next": response.url}
    )
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {"held"}
