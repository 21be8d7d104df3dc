"""Bad input on host and staff pages: each refused with a clear message, nothing lost."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from microintern.hosts.domain import confirm_proposal
from microintern.hosts.models import (
    BriefingMaterial,
    Challenge,
    HostContact,
    Organisation,
    UnconfirmedProposal,
)
from tests.hosts.test_host_journey import PROPOSAL
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def host_of(mi_or_challenge, make_user):
    challenge = getattr(mi_or_challenge, "challenge", mi_or_challenge)
    user = make_user("host")
    HostContact.objects.filter(pk=challenge.contact.pk).update(user=user)
    return user


def test_an_empty_proposal_says_what_is_missing_and_creates_nothing(client):
    page = client.post(reverse("hosts:propose"), {}).content.decode()
    assert "There is a problem" in page
    assert "Please tell us: the question you would like the team to answer" in page
    assert not Challenge.objects.exists() and not Organisation.objects.exists()


def test_an_enormous_proposal_is_refused_kindly(client):
    data = {**PROPOSAL, "context": "word " * 5000}
    page = client.post(reverse("hosts:propose"), data).content.decode()
    assert "Please keep this under 3000 characters (it has 24999)" in page
    assert not Challenge.objects.exists()


def test_a_preferred_date_in_the_past_is_refused(client):
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    page = client.post(reverse("hosts:propose"), {**PROPOSAL, "earliest_date": past})
    assert "Please choose a date after today." in page.content.decode()
    assert not Challenge.objects.exists()


def test_a_student_address_cannot_become_a_host(client, student):
    page = client.post(reverse("hosts:propose"), {**PROPOSAL, "email": student.email})
    assert "different kind of account" in page.content.decode()
    assert not Challenge.objects.exists()


def test_a_returning_host_joins_their_organisation_once_they_confirm(client):
    client.post(reverse("hosts:propose"), PROPOSAL)
    client.post(reverse("hosts:propose"), {**PROPOSAL, "title": "A second challenge"})
    assert Organisation.objects.count() == 1 and HostContact.objects.count() == 1
    assert Challenge.objects.count() == 1  # held until the emailed link is used
    confirm_proposal(UnconfirmedProposal.objects.get())
    assert Challenge.objects.count() == 2
    assert Organisation.objects.get().challenges.count() == 2


def test_a_host_cannot_open_another_hosts_pages(client, make_user):
    mine = MicroInternshipFactory()
    theirs = MicroInternshipFactory()
    client.force_login(host_of(mine, make_user))
    host_of(theirs, make_user)
    briefing = BriefingMaterial.objects.create(
        micro_internship=theirs,
        token="secret-token",
        original_name="plan.txt",
        content_type="text/plain",
        size=4,
        file="briefings/x",
    )
    assert client.get(reverse("hosts:micro_internship", args=[mine.pk])).status_code == 200
    for url in (
        reverse("hosts:micro_internship", args=[theirs.pk]),
        reverse("hosts:calendar", args=[theirs.pk]),
        reverse("hosts:feedback", args=[theirs.pk]),
        reverse("hosts:challenge", args=[theirs.challenge.pk]),
        reverse("hosts:briefing", args=[briefing.token]),
    ):
        assert client.get(url).status_code == 403, url
    upload = SimpleUploadedFile("x.txt", b"hello", "text/plain")
    response = client.post(reverse("hosts:upload_briefing", args=[theirs.pk]), {"file": upload})
    assert response.status_code == 403
    assert theirs.briefings.count() == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("page.html", b"<html><script>alert(1)</script></html>", None),
        ("run.exe", b"MZ\x90\x00" + b"\x00" * 100, "This kind of file cannot be shared"),
        ("big.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 + 1), "the limit is 10 MB"),
    ],
)
def test_briefing_files_are_checked_by_content_and_size(client, make_user, name, content, message):
    mi = MicroInternshipFactory()
    client.force_login(host_of(mi, make_user))
    upload = SimpleUploadedFile(name, content, "application/pdf")
    response = client.post(reverse("hosts:upload_briefing", args=[mi.pk]), {"file": upload})
    if message is None:  # text is accepted, but only ever served as a text download
        item = mi.briefings.get()
        assert item.content_type == "text/plain"
        download = client.get(reverse("hosts:briefing", args=[item.token]))
        assert download["Content-Type"] == "text/plain"
        assert download["Content-Disposition"].startswith("attachment")
    else:
        assert response.status_code == 400
        assert message in response.content.decode()
        assert not mi.briefings.exists()
