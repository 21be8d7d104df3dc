"""A host's "Offer another challenge" starts from their own previous challenge, never
another organisation's, and keeps what they typed when something is missing."""

import pytest
from django.test import Client
from django.urls import reverse

from microintern.accounts.enums import Role
from microintern.hosts.enums import ChallengeState
from microintern.hosts.models import Challenge, UnconfirmedProposal
from tests.accounts.factories import UserFactory
from tests.hosts.factories import ChallengeFactory, HostContactFactory

pytestmark = pytest.mark.django_db


def signed_in_host(**challenge_fields):
    user = UserFactory(role=Role.HOST)
    contact = HostContactFactory(user=user, email=user.email, job_title="Volunteer lead")
    challenge = ChallengeFactory(
        contact=contact,
        state=ChallengeState.SCHEDULED,
        title="Reaching volunteers under 30",
        question="Which channels reach students who volunteer?",
        premises_address="2 Canal Street",
        step_free_access=True,
        **challenge_fields,
    )
    client = Client()
    client.force_login(user)
    return client, contact, challenge


def test_offer_another_challenge_starts_from_the_hosts_previous_one():
    client, contact, challenge = signed_in_host()
    home = client.get(reverse("hosts:home")).content.decode()
    assert f"{reverse('hosts:propose')}?from={challenge.pk}" in home
    page = client.get(reverse("hosts:propose")).content.decode()
    assert "We have filled this in from" in page
    assert 'value="Reaching volunteers under 30"' in page
    assert "Which channels reach students who volunteer?" in page
    assert contact.organisation.name in page and contact.email in page
    assert '<option value="yes" selected>' in page


def test_a_host_cannot_start_from_another_organisations_challenge():
    client, _contact, _challenge = signed_in_host()
    theirs = ChallengeFactory(title="Secret expansion plans", question="Where next?")
    response = client.get(f"{reverse('hosts:propose')}?from={theirs.pk}")
    assert response.status_code == 404
    assert "Secret expansion plans" not in response.content.decode()
    assert client.get(f"{reverse('hosts:propose')}?from=x").status_code == 404


def test_nobody_signed_in_gets_a_blank_form_whatever_the_link_says():
    _client, _contact, challenge = signed_in_host()
    page = Client().get(f"{reverse('hosts:propose')}?from={challenge.pk}").content.decode()
    assert "Reaching volunteers under 30" not in page


def posted_from(page_client, challenge, contact, **changes):
    data = {
        "organisation_name": contact.organisation.name,
        "kind": contact.organisation.kind,
        "sector": contact.organisation.sector,
        "size_band": contact.organisation.size_band,
        "contact_name": contact.name,
        "email": contact.email,
        "title": "Reaching volunteers under 30, part two",
        "context": challenge.context,
        "question": challenge.question,
        "good_outcome": challenge.good_outcome,
        "premises_address": challenge.premises_address,
        **changes,
    }
    return page_client.post(reverse("hosts:propose"), data)


def test_a_missing_answer_is_named_and_everything_typed_is_kept():
    client, contact, challenge = signed_in_host()
    response = posted_from(
        client, challenge, contact, good_outcome="", context="New context this term."
    )
    page = response.content.decode()
    assert "Please tell us: what a useful outcome would look like" in page
    assert "New context this term." in page
    assert "Reaching volunteers under 30, part two" in page
    assert Challenge.objects.count() == 1


def test_what_the_signed_in_host_sends_is_their_challenge_at_once():
    client, contact, challenge = signed_in_host()
    response = posted_from(client, challenge, contact)
    assert response.status_code == 302
    new = Challenge.objects.exclude(pk=challenge.pk).get()
    assert new.organisation == contact.organisation and new.state == ChallengeState.PROPOSED
    assert new.question == challenge.question
    assert not UnconfirmedProposal.objects.exists()


def test_someone_signed_in_as_another_host_with_this_address_is_still_held():
    _client, contact, challenge = signed_in_host()
    other_client, _other, _theirs = signed_in_host()
    posted_from(other_client, challenge, contact)
    assert UnconfirmedProposal.objects.filter(contact=contact).exists()
    assert Challenge.objects.filter(organisation=contact.organisation).count() == 1
