"""From a host's proposal to thanks after the day, driven through the pages, with every
email caught by a real SMTP server (aiosmtpd)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from microintern.accounts.enums import Role
from microintern.applications.enums import PlaceState
from microintern.hosts.enums import ChallengeState
from microintern.hosts.models import Challenge, HostContact
from microintern.mail.models import OutboundMessage
from microintern.programme.enums import MicroInternshipState
from tests import smtp_sink as sink
from tests.accounts.factories import sign_in
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory, on_the_day

smtp_sink = sink.smtp_sink  # the fixture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


PROPOSAL = {
    "organisation_name": "Riverside Food Bank",
    "kind": "charity",
    "sector": "Community",
    "size_band": "micro",
    "contact_name": "Sam Okafor",
    "email": "Sam@Riverside.example",
    "title": "Reaching more volunteers under 30",
    "context": "We are a small food bank run by volunteers.",
    "question": "How can we recruit volunteers under 30?",
    "good_outcome": "Three options with costs and a recommendation.",
    "preferred_dates": "Any Wednesday in March",
    "premises_address": "12 Mill Lane\nMidtown",
    "step_free_access": "yes",
    "quiet_room": "no",
    "nearest_transport": "Bus 7, Mill Lane stop",
    "what_to_bring": "A laptop if you have one",
}


def local(dt):
    return timezone.localtime(dt)


@pytest.fixture
def host_questionnaire(db):
    """The seeded questionnaires (a transactional test may have flushed the seed)."""
    from microintern.surveys.instruments import install
    from microintern.surveys.models import Instrument, InstrumentVersion, Item

    install(Instrument, InstrumentVersion, Item)


def test_proposal_to_thanks(client, make_user, smtp_sink, host_questionnaire):
    # 1. A host offers a challenge with no account.
    response = client.post(reverse("hosts:propose"), PROPOSAL, follow=True)
    assert "we have your challenge" in response.content.decode()
    challenge = Challenge.objects.get()
    contact = HostContact.objects.get()
    assert (contact.email, contact.user.role) == ("sam@riverside.example", Role.HOST)
    assert not contact.user.has_usable_password()  # they sign in with emailed codes
    [ack] = smtp_sink.to("sam@riverside.example")
    assert "We have your challenge" in ack.subject
    assert "/accounts/login/" in ack.body

    # 2. Staff accept it (the host hears) and schedule it (the host gets the date + invite).
    staff = make_user("staff")
    sign_in(client, staff)
    client.post(reverse("staff:challenge_state", args=[challenge.pk]), {"to_state": "accepted"})
    assert "can go ahead" in smtp_sink.to(contact.email)[-1].subject
    day = timezone.localdate() + timedelta(days=30)
    opens = local(timezone.now() - timedelta(hours=1))
    closes = local(timezone.now() + timedelta(days=10))
    response = client.post(
        reverse("staff:schedule", args=[challenge.pk]),
        {
            "day": day.isoformat(),
            "start_time": "09:30",
            "end_time": "16:30",
            "venue_address": "12 Mill Lane\nMidtown",
            "subject_area": "Events",
            "capacity": "2",
            "interest_opens_at": opens.strftime("%Y-%m-%dT%H:%M"),
            "interest_closes_at": closes.strftime("%Y-%m-%dT%H:%M"),
            "facilitator": staff.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()
    mi = challenge.micro_internships.get()
    challenge.refresh_from_db()
    assert challenge.state == ChallengeState.SCHEDULED
    scheduled = smtp_sink.to(contact.email)[-1]
    assert scheduled.subject.startswith("Date agreed")
    assert [a.get_content_type() for a in scheduled.message.iter_attachments()] == ["text/calendar"]

    # 3. Staff open interest by hand; three students are interested.
    client.post(reverse("staff:interest_window", args=[mi.pk]), {"action": "open"})
    mi.refresh_from_db()
    assert mi.state == MicroInternshipState.OPEN
    interests = [
        ExpressionOfInterestFactory(micro_internship=mi, student__full_name=name)
        for name in ("Hazel Okafor", "Tomasz Nowak", "Ifeoma Bello")
    ]

    # 4. Offers by hand; the third is not selected; two accept.
    decisions = ["offered", "offered", "not_selected"]
    for interest, decision in zip(interests, decisions, strict=True):
        client.post(
            reverse("staff:decide_place", args=[interest.pk]),
            {"to_state": decision, "reason": "Places went to students who had not taken part."},
        )
    not_selected = smtp_sink.to(interests[2].student.email)[-1]
    assert "Why: Places went to students who had not taken part." in not_selected.body
    from microintern.applications.domain import transition_place

    for interest in interests[:2]:
        transition_place(interest, PlaceState.ACCEPTED, actor=interest.student.user)
    assert "A place for you" in smtp_sink.to(interests[0].student.email)[0].subject
    assert "You're in" in smtp_sink.to(interests[0].student.email)[-1].subject

    # 5. The host sees the team (preferred first names and programmes only) and shares a file.
    host = Client()
    host.force_login(contact.user)
    page = host.get(reverse("hosts:micro_internship", args=[mi.pk])).content.decode()
    for interest in interests[:2]:
        assert interest.student.display_name in page
        assert interest.student.email not in page
        assert interest.student.student_number not in page
    assert interests[2].student.display_name not in page
    upload = SimpleUploadedFile("brief.pdf", b"%PDF-1.4\n% brief\n", "application/pdf")
    host.post(reverse("hosts:upload_briefing", args=[mi.pk]), {"file": upload})
    briefing = mi.briefings.get()
    download = host.get(reverse("hosts:briefing", args=[briefing.token]))
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content).startswith(b"%PDF")

    # 6. On the day: the register marks one present and one absent.
    with on_the_day(mi, hours=7):
        sign_in(client, staff)  # the clock moved on: new sessions for staff and the host
        host.force_login(contact.user)
        response = client.post(
            reverse("staff:register", args=[mi.pk]),
            {f"place-{interests[0].pk}": "present", f"place-{interests[1].pk}": "absent"},
        )
        assert response.status_code == 302
        states = [i.state for i in mi.interests.order_by("id")]
        assert states == [PlaceState.ATTENDED, PlaceState.NO_SHOW, PlaceState.NOT_SELECTED]
        assert "Thank you for taking part" in smtp_sink.to(interests[0].student.email)[-1].subject
        missed = smtp_sink.to(interests[1].student.email)[-1]
        assert "is everything all right?" in missed.subject and "no penalty" in missed.body

        # 7. Completing the day invites the host to the host questionnaire, once.
        client.post(reverse("staff:micro_internship_state", args=[mi.pk]), {"to_state": "closed"})
        client.post(
            reverse("staff:micro_internship_state", args=[mi.pk]),
            {"to_state": "selection_published"},
        )
        client.post(
            reverse("staff:micro_internship_state", args=[mi.pk]), {"to_state": "completed"}
        )
        invitation = smtp_sink.to(contact.email)[-1]
        assert invitation.subject == "Your micro-internship as a host: a few questions"
        assert "/surveys/" in invitation.body
        feedback = host.get(reverse("hosts:feedback", args=[mi.pk])).content.decode()
        assert "Answer the short questionnaire" in feedback

        # Staff see everything the host was sent.
        history = client.get(reverse("staff:contact_messages", args=[contact.pk])).content.decode()
        for subject in ("We have your challenge", "can go ahead", "Date agreed", "a few questions"):
            assert subject in history.replace("&quot;", '"')

        # Every email is a sent row in the outbox; nothing failed or waits.
        assert set(OutboundMessage.objects.values_list("state", flat=True)) == {"sent"}
        assert OutboundMessage.objects.count() == len(smtp_sink.received)


def test_cancelling_tells_every_student_still_in_the_running_and_the_host(
    client, make_user, smtp_sink
):
    mi = MicroInternshipFactory(open_now=True)
    waiting = ExpressionOfInterestFactory(micro_internship=mi)
    withdrawn = ExpressionOfInterestFactory(micro_internship=mi, state=PlaceState.WITHDRAWN)
    sign_in(client, make_user("staff"))
    url = reverse("staff:micro_internship_state", args=[mi.pk])
    cancel = {"to_state": "cancelled", "reason": "The host's building is closed for repairs."}
    confirm = client.post(url, cancel).content.decode()
    assert f"We will email the host, {escape(mi.challenge.contact.name)}" in confirm
    assert "1 student still in the running" in confirm
    assert escape(waiting.student.full_name) in confirm
    assert escape(withdrawn.student.full_name) not in confirm
    mi.refresh_from_db()
    assert mi.state == "open" and smtp_sink.to(waiting.student.email) == []
    response = client.post(url, {**cancel, "confirmed": "on"})
    assert response.status_code == 302
    told = smtp_sink.to(waiting.student.email)
    assert told[-1].subject.startswith("Cancelled")
    assert "closed for repairs" in told[-1].body
    assert smtp_sink.to(withdrawn.student.email) == []
    host_mail = smtp_sink.to(mi.challenge.contact.email)[-1]
    assert "closed for repairs" in host_mail.body


def test_declining_a_proposal_sends_the_host_the_message(client, make_user, smtp_sink):
    client.post(reverse("hosts:propose"), PROPOSAL)
    challenge = Challenge.objects.get()
    sign_in(client, make_user("staff"))
    response = client.post(
        reverse("staff:challenge_state", args=[challenge.pk]),
        {"to_state": "declined", "reason": ""},
        follow=True,
    )
    assert "Please give the host a reason" in response.content.decode()
    decline = {"to_state": "declined", "reason": "We already run a similar challenge this term."}
    url = reverse("staff:challenge_state", args=[challenge.pk])
    confirm = client.post(url, decline).content.decode()
    assert "We will email Sam Okafor (sam@riverside.example)" in confirm
    challenge.refresh_from_db()
    assert challenge.state == "proposed"
    client.post(url, {**decline, "confirmed": "on"})
    declined = smtp_sink.to("sam@riverside.example")[-1]
    assert "similar challenge this term" in declined.body


def test_a_new_host_comes_back_with_an_emailed_code_and_sees_their_challenge(
    client, django_capture_on_commit_callbacks
):
    import re

    from django.core import mail

    client.post(reverse("hosts:propose"), PROPOSAL)
    [ack] = OutboundMessage.objects.filter(role="challenge_received")
    assert "/accounts/login/code/" in ack.body
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends the code
        response = client.post(ack.body.split("go to ")[1].split()[0], {"email": PROPOSAL["email"]})
    assert response.status_code == 302
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mail.outbox[-1].body, re.M).group(1)
    response = client.post("/accounts/login/code/confirm/", {"code": code}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("hosts:home")
    assert PROPOSAL["title"] in response.content.decode()


def test_without_a_host_questionnaire_the_host_is_invited_to_the_feedback_page(smtp_sink):
    from microintern.programme.domain import transition_micro_internship
    from microintern.surveys.models import Instrument

    Instrument.objects.filter(kind="host").delete()
    mi = MicroInternshipFactory(state=MicroInternshipState.SELECTION_PUBLISHED)
    with on_the_day(mi, hours=7):
        transition_micro_internship(mi, MicroInternshipState.COMPLETED)
    [invitation] = smtp_sink.to(mi.challenge.contact.email)
    assert invitation.subject.startswith("How did the day go?")
    assert reverse("hosts:feedback", args=[mi.pk]) in invitation.body
