"""A challenge offered with an existing contact's address joins their organisation only after
the contact confirms it by the emailed link."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from microintern.core.models import ActivityLog
from microintern.hosts.models import Challenge, UnconfirmedProposal
from tests.accounts.factories import UserFactory, sign_in
from tests.applications.helpers import last_email_to, link_in
from tests.hosts.factories import ChallengeFactory, HostContactFactory
from tests.hosts.test_host_journey import PROPOSAL

pytestmark = pytest.mark.django_db

ATTACK = {
    **PROPOSAL,
    "organisation_name": "Not Really Riverside",
    "contact_name": "Mallory",
    "email": "Sam@Riverside.example",
    "title": "Send your students to my pop-up shop",
}


@pytest.fixture
def sam(db):
    contact = HostContactFactory(
        email="sam@riverside.example",
        name="Sam Okafor",
        organisation__name="Riverside Food Bank",
        user=UserFactory(email="sam@riverside.example", role="host"),
    )
    ChallengeFactory(contact=contact, title="Reaching more volunteers under 30")
    return contact


@pytest.fixture
def offered(client, sam, django_capture_on_commit_callbacks):
    """Someone not signed in offers a challenge with Sam's address."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("hosts:propose"), ATTACK)
    assert response.status_code == 302
    client.cookies.clear()
    return UnconfirmedProposal.objects.get()


def _titles_of(contact):
    return sorted(contact.organisation.challenges.values_list("title", flat=True))


def test_an_offer_with_a_contacts_address_is_held_apart_until_they_confirm(client, sam, offered):
    assert _titles_of(sam) == ["Reaching more volunteers under 30"]
    assert Challenge.objects.count() == 1
    assert offered.contact == sam and offered.challenge is None
    # Sam's own pages do not show it.
    client.force_login(sam.user)
    assert ATTACK["title"] not in client.get(reverse("hosts:home")).content.decode()
    email = last_email_to("sam@riverside.example")
    assert ATTACK["title"] in email.subject
    assert "we have not added the challenge" in email.body
    assert ActivityLog.objects.filter(action="challenge.proposal_held").exists()


def test_staff_see_it_as_unconfirmed(client, offered, make_user):
    sign_in(client, make_user("staff"))
    page = client.get(reverse("staff:pipeline")).content.decode()
    section = page.split('id="unconfirmed"')[1]
    assert ATTACK["title"] in section and "Unconfirmed" in section
    assert "sam@riverside.example" in section


def test_the_link_shows_it_and_the_button_confirms_it_once(
    client, sam, offered, django_capture_on_commit_callbacks
):
    confirm = link_in(last_email_to("sam@riverside.example"), "/host/offer/confirm/")
    page = client.get(confirm).content.decode()
    assert "Did you offer this challenge?" in page
    assert ATTACK["title"] in page and "Mallory" in page and "Not Really Riverside" in page
    assert Challenge.objects.count() == 1, "opening the link (a mail scanner) adds nothing"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm, follow=True)
        client.post(confirm)  # twice: still one challenge
    assert "is now one of your organisation" in response.content.decode()
    assert _titles_of(sam) == sorted(["Reaching more volunteers under 30", ATTACK["title"]])
    challenge = Challenge.objects.get(title=ATTACK["title"])
    assert challenge.contact == sam and challenge.state == "proposed"
    offered.refresh_from_db()
    assert offered.challenge == challenge and offered.confirmed_at is not None
    assert "will read it and reply" in last_email_to("sam@riverside.example").body


def test_a_changed_link_is_refused_with_a_clear_sentence(client, sam, offered):
    confirm = link_in(last_email_to("sam@riverside.example"), "/host/offer/confirm/")
    tampered = re.sub(r"/([^/]+)/$", lambda m: "/" + m.group(1)[:-2] + "xx/", confirm)
    for url in (tampered, tampered.replace(confirm.split("/")[-2], "not-a-token")):
        response = client.post(url)
        assert response.status_code == 410
        page = response.content.decode()
        assert "This link does not work: it is incomplete or has been changed." in page
        assert "Nothing has been added to your organisation." in page
    assert Challenge.objects.count() == 1


def test_an_expired_link_is_refused_with_a_clear_sentence(client, sam, offered):
    confirm = link_in(last_email_to("sam@riverside.example"), "/host/offer/confirm/")
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        response = client.post(confirm)
    assert response.status_code == 410
    assert "This link has expired: confirm links work for 14 days." in response.content.decode()
    assert Challenge.objects.count() == 1


def test_a_link_for_another_address_does_not_confirm(client, sam, offered):
    confirm = link_in(last_email_to("sam@riverside.example"), "/host/offer/confirm/")
    sam.email = "sam.okafor@riverside.example"
    sam.save()
    assert client.post(confirm).status_code == 410
    assert Challenge.objects.count() == 1


def test_a_new_address_still_gets_its_challenge_at_once(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("hosts:propose"), {**PROPOSAL, "email": "new@host.example"})
    assert Challenge.objects.get().contact.email == "new@host.example"
    assert not UnconfirmedProposal.objects.exists()
    assert "/host/offer/confirm/" not in last_email_to("new@host.example").body


def test_the_page_after_offering_says_the_same_for_a_new_and_a_known_address(
    client, sam, django_capture_on_commit_callbacks
):
    pages = []
    for email in ("sam@riverside.example", "new@host.example"):
        client.cookies.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("hosts:propose"), {**ATTACK, "email": email})
        pages.append(client.get(response.url).content.decode())
    assert pages[0] == pages[1]
