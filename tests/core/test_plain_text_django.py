"""Direction controls in names, senders, subjects and file names never reach a page raw."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.urls import reverse

import microintern
from microintern.core.text import BIDI_CONTROLS, without_bidi_controls
from microintern.mail.inbound import pipeline, store
from microintern.mail.inbound.models import InboundMessage
from tests.accounts.factories import StudentFactory
from tests.applications.factories import ExpressionOfInterestFactory
from tests.hosts.factories import ChallengeFactory
from tests.mail.inbound.helpers import eoi
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db
RLO = "\u202e"
SPOOFED = f"Amira Hassan{RLO}gnp.exe"
SHOWN = re.compile(
    r"\{\{\s*[\w.]*(full_name|display_name|from_address|envelope_sender|subject|"
    r"organisation\.name|contact\.name|filename|original_name)\b[^}]*\}\}"
)


def _has_control(text: str) -> bool:
    return any(control in text for control in BIDI_CONTROLS)


def test_every_direction_control_is_removed():
    controls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
    assert without_bidi_controls(f"a{controls}b") == "ab"
    assert without_bidi_controls("أميرة حسن") == "أميرة حسن"  # right-to-left letters stay


def test_the_filter_escapes_and_keeps_default_working():
    template = Template(
        "{% load plain_text %}{{ name|plain_name }}|{{ none|plain_name|default:'–' }}"
    )
    shown = template.render(Context({"name": f"<b>{RLO}x</b>", "none": None}))
    assert shown == "&lt;b&gt;x&lt;/b&gt;|–"


def test_a_student_name_with_an_override_is_shown_to_staff_without_it(staff_client):
    mi = MicroInternshipFactory(open_now=True, challenge__title=f"Café{RLO} plan")
    ExpressionOfInterestFactory(micro_internship=mi, student=StudentFactory(full_name=SPOOFED))
    page = staff_client.get(reverse("staff:micro_internship", args=[mi.pk])).content.decode()
    assert "Amira Hassangnp.exe" in page and "Café plan" in page
    assert not _has_control(page)


def test_a_host_name_with_an_override_is_shown_to_staff_without_it(staff_client):
    challenge = ChallengeFactory(
        contact__name=SPOOFED, contact__organisation__name=f"Acme{RLO} Ltd", title=f"T{RLO}1"
    )
    for url in (reverse("hosts:challenge", args=[challenge.pk]), reverse("staff:pipeline")):
        page = staff_client.get(url).content.decode()
        assert "Acme Ltd" in page and not _has_control(page)


def test_an_inbound_sender_and_subject_with_overrides_are_shown_without_them(
    staff_client, open_mi, settings
):
    settings.MICROINTERN = {**settings.MICROINTERN, "UNIVERSITY_EMAIL_DOMAINS": ["example.ac.uk"]}
    raw = eoi(sender=f"{RLO}stranger@gmail.example", subject=f"Interest {RLO}7002-IM")
    message = store.store_message(raw).message
    pipeline.process_message(message.pk)
    message = InboundMessage.objects.get(pk=message.pk)
    assert RLO in message.subject
    for url in (reverse("staff:inbound"), reverse("staff:inbound_message", args=[message.pk])):
        page = staff_client.get(url, {"state": message.state}).content.decode()
        where = [page[max(0, i - 80) : i + 20] for i, ch in enumerate(page) if ch in BIDI_CONTROLS]
        assert "Interest 7002-IM" in page and where == []


def test_every_page_template_shows_names_senders_and_subjects_through_the_filter():
    """Email bodies (templates/mail/<role>.html) are ours and go out as mail, not pages."""
    root = Path(microintern.__file__).parent
    shown_raw = []
    for path in root.rglob("*.html"):
        if path.parent.name == "mail" and path.parent.parent.name == "templates":
            continue
        for match in SHOWN.finditer(path.read_text()):
            if "plain_name" not in match[0]:
                shown_raw.append(f"{path.relative_to(root)}: {match[0]}")
    assert shown_raw == []
