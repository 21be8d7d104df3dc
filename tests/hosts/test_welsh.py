"""The host journey in Welsh: the offer form (its messages too), the host's own pages and
the emails to a host follow the language the host chose; an English host still reads
English, whoever makes the change."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from microintern.accounts.domain import set_language_preference
from microintern.applications.enums import PlaceState
from microintern.hosts import links
from microintern.hosts.domain import transition_challenge
from microintern.hosts.enums import ChallengeState
from microintern.hosts.models import HostContact, UnconfirmedProposal
from microintern.hosts.notifications import queue_host_email
from microintern.mail.models import OutboundMessage
from microintern.programme import notifications
from microintern.programme.domain import message_host
from microintern.programme.enums import MicroInternshipState
from tests.applications.factories import ExpressionOfInterestFactory
from tests.hosts.factories import ChallengeFactory, HostContactFactory
from tests.hosts.test_host_journey import PROPOSAL
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


@pytest.fixture
def welsh(client):
    client.get(reverse("set_language"), {"language": "cy", "next": "/"})
    return client


def welsh_host(make_user, contact=None) -> HostContact:
    """A host contact with a sign-in who chose Welsh."""
    contact = contact or HostContactFactory()
    contact.user = make_user("host", email=contact.email)
    contact.save(update_fields=["user"])
    set_language_preference(contact.user, "cy")
    return contact


def signed_in_as(contact) -> Client:
    client = Client()
    client.force_login(contact.user)
    return client


def subject_to(address: str) -> str:
    return OutboundMessage.objects.filter(to=address).order_by("pk").last().subject


def test_the_offer_form_is_in_welsh_with_its_choices(welsh):
    page = text(welsh.get(reverse("hosts:propose")))
    assert '<html lang="cy">' in page
    assert "<h1>Cynnig her i'n myfyrwyr</h1>" in page
    assert "Enw'r sefydliad" in page and "Teitl byr i'r her" in page
    assert ">Elusen</option>" in page and ">Micro (1–9 o bobl)</option>" in page
    assert ">Oes</option>" in page and ">Nac oes</option>" in page
    assert "Anfon fy her" in page
    assert "Organisation name" not in page


def test_a_mistake_on_the_offer_form_is_explained_in_welsh_and_keeps_the_text(welsh):
    data = {**PROPOSAL, "question": "", "context": "x" * 3001, "earliest_date": "2000-01-01"}
    response = welsh.post(reverse("hosts:propose"), data)
    page = text(response)
    assert response.status_code == 200
    assert "Mae problem" in page
    assert "Dywedwch wrthym: y cwestiwn yr hoffech i'r tîm ei ateb" in page
    assert "Cadwch hwn o dan 3000 nod (mae ganddo 3001)" in page
    assert "Dewiswch ddyddiad ar ôl heddiw." in page
    assert "<title>Gwall:" in page
    assert escape(PROPOSAL["good_outcome"]).replace("&#x27;", "'") in page  # kept
    assert "Please tell us" not in page


def test_an_offer_in_welsh_is_acknowledged_in_welsh_and_the_choice_kept_for_later_emails(
    welsh, make_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = welsh.post(reverse("hosts:propose"), PROPOSAL, follow=True)
    assert "Diolch: mae eich her gennym" in text(response)
    contact = HostContact.objects.get()
    assert contact.user.language == "cy"
    ack = OutboundMessage.objects.get(to=contact.email)
    assert ack.subject == f"Mae eich her gennym: {PROPOSAL['title']}"
    assert "Diolch am gynnig" in ack.body

    # Staff decide in English; the host still hears in Welsh.
    challenge = contact.challenges.get()
    with translation.override("en-gb"):
        transition_challenge(challenge, ChallengeState.ACCEPTED, actor=make_user("staff"))
    assert subject_to(contact.email) == f'Newyddion da: gall "{PROPOSAL["title"]}" fynd yn ei blaen'


def test_an_english_offer_is_acknowledged_in_english(client):
    client.post(reverse("hosts:propose"), PROPOSAL)
    contact = HostContact.objects.get()
    assert contact.user.language == ""
    assert subject_to(contact.email) == f"We have your challenge: {PROPOSAL['title']}"


def test_a_decline_reaches_each_host_in_their_own_language(make_user):
    staff = make_user("staff")
    welsh_contact = welsh_host(make_user)
    english_contact = HostContactFactory()
    with translation.override("en-gb"):
        for contact in (welsh_contact, english_contact):
            challenge = ChallengeFactory(contact=contact, title="Gwirfoddolwyr")
            transition_challenge(
                challenge, ChallengeState.DECLINED, actor=staff, reason="Too close to exams."
            )
    welsh_email = OutboundMessage.objects.get(to=welsh_contact.email)
    assert welsh_email.subject == 'Ynglŷn â\'ch her "Gwirfoddolwyr"'
    assert "Nid ydym yn gallu bwrw ymlaen" in welsh_email.body
    assert "Too close to exams." in welsh_email.body
    assert subject_to(english_contact.email) == 'About your challenge "Gwirfoddolwyr"'


def test_the_day_booked_cancelled_and_the_feedback_invitation_are_in_welsh(make_user):
    contact = welsh_host(make_user)
    mi = MicroInternshipFactory(challenge__contact=contact, challenge__title="Cyfrif gwirfoddolwyr")
    with translation.override("cy"):
        day = timezone.localtime(mi.starts_at).strftime("%d").lstrip("0")
    with translation.override("en-gb"):
        notifications.micro_internship_scheduled(mi)
        booked = OutboundMessage.objects.get(
            to=contact.email, role="micro_internship_scheduled_host"
        )
        mi.cancel_reason = "The venue flooded."
        notifications.micro_internship_moved(mi, MicroInternshipState.CANCELLED)
        cancelled = OutboundMessage.objects.get(
            to=contact.email, role="micro_internship_cancelled_host"
        )
        # Sent where no host questionnaire is set up (the seeded one sends survey_invitation).
        queue_host_email(contact, "host_feedback_invitation", mi=mi)
        feedback = OutboundMessage.objects.get(to=contact.email, role="host_feedback_invitation")
        message_host(mi, subject="Parcio", message="Mae lle i barcio ger y drws.", actor=None)
        staff_message = OutboundMessage.objects.get(to=contact.email, role="host_message")
    assert booked.subject.startswith(f"Dyddiad wedi'i gytuno: {mi.title} ar {day} ")
    assert "(amser y DU)" in booked.body and "Mae gwahoddiad calendr wedi'i atodi" in booked.body
    assert cancelled.subject.startswith(f"Wedi'i chanslo: {mi.title}")
    assert "Pam: The venue flooded." in cancelled.body
    assert feedback.subject == f"Sut aeth y diwrnod? {mi.title}"
    assert staff_message.subject == f"Parcio ({mi.reference})"
    assert staff_message.body.startswith(f"Annwyl {contact.name},")
    assert "Mae hyn ynglŷn â" in staff_message.body


def test_confirming_an_offer_with_a_contacts_address_is_asked_in_welsh(make_user, client):
    contact = welsh_host(make_user)
    client.post(reverse("hosts:propose"), {**PROPOSAL, "email": contact.email})
    held = OutboundMessage.objects.get(to=contact.email, role="host_proposal_confirm")
    assert held.subject == f'Cadarnhewch yr her "{PROPOSAL["title"]}"'
    assert "Mae'r ddolen yn gweithio am 14 diwrnod" in held.body

    proposal = UnconfirmedProposal.objects.get()
    host = signed_in_as(contact)
    url = reverse("hosts:confirm_proposal", args=[links.confirm_token(proposal)])
    page = text(host.get(url))
    assert "<h1>Ai chi gynigiodd yr her hon?</h1>" in page and "(amser y DU)" in page
    page = text(host.post(url, follow=True))
    assert "<h1>Her wedi'i hychwanegu</h1>" in page
    assert f"Diolch. Mae “{PROPOSAL['title']}” bellach yn un o heriau eich sefydliad." in page
    broken = host.get(reverse("hosts:confirm_proposal", args=["not-a-real-token"]))
    assert broken.status_code == 410
    assert "Nid yw'r ddolen hon yn gweithio: mae'n anghyflawn" in text(broken)


def test_a_host_who_chose_welsh_sees_their_pages_in_welsh_on_any_device(make_user):
    contact = welsh_host(make_user)
    challenge = ChallengeFactory(contact=contact, state=ChallengeState.SCHEDULED)
    mi = MicroInternshipFactory(
        challenge=challenge,
        state=MicroInternshipState.COMPLETED,
        starts_at=timezone.now() - timedelta(days=2),
        ends_at=timezone.now() - timedelta(days=2) + timedelta(hours=7),
    )
    ExpressionOfInterestFactory(
        micro_internship=mi, state=PlaceState.ATTENDED, student__full_name="Ffion Evans"
    )
    host = signed_in_as(contact)  # a new browser: no language cookie

    home = text(host.get(reverse("hosts:home")))
    assert '<html lang="cy">' in home
    assert f"{contact.organisation.name}: eich heriau" in home
    assert "<strong>Wedi'i threfnu</strong>" in home  # the challenge's state
    assert "Wedi'i chwblhau" in home  # the micro-internship's state
    assert "Cynnig yr her hon eto" in home

    detail = text(host.get(reverse("hosts:challenge", args=[challenge.pk])))
    assert "(Elusen, Community)" in detail and "Y cwestiwn" in detail

    page = text(host.get(reverse("hosts:micro_internship", args=[mi.pk])))
    assert "<h2>Cynllun y diwrnod</h2>" in page and "<h2>Eich tîm</h2>" in page
    assert "Ffion" in page and "(amser y DU)" in page
    assert "Ffeil friffio" in page and "Dywedwch wrthym sut aeth y diwrnod" in page

    feedback = text(host.get(reverse("hosts:feedback", args=[mi.pk])))
    assert "<h1>Sut aeth y diwrnod?</h1>" in feedback
    assert f"Diolch am groesawu “{mi.title}”" in feedback


def test_a_briefing_file_refused_is_explained_in_welsh(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    contact = welsh_host(make_user)
    mi = MicroInternshipFactory(challenge__contact=contact)
    upload = SimpleUploadedFile("run.pdf", b"MZ\x90\x00" * 50, content_type="application/pdf")
    response = signed_in_as(contact).post(
        reverse("hosts:upload_briefing", args=[mi.pk]), {"file": upload}
    )
    assert response.status_code == 400
    assert "Ni ellir rhannu'r math hwn o ffeil yma." in text(response)


def test_english_hosts_still_read_english(make_user):
    contact = HostContactFactory()
    contact.user = make_user("host", email=contact.email)
    contact.save(update_fields=["user"])
    ChallengeFactory(contact=contact)
    page = text(signed_in_as(contact).get(reverse("hosts:home")))
    assert f"{contact.organisation.name}: your challenges" in page
    assert "<strong>Proposed</strong>" in page
