"""The host journey in Welsh, in Chromium: a charity's volunteer switches to Cymraeg,
offers a challenge (once with a mistake: the message is in Welsh and what was typed is
kept), reads the "thank you" page and the acknowledgement in Welsh, then, signed in, their
challenges, a challenge, the plan for the day with the team (a refused file explained in
Welsh), the feedback page, and the confirm-link pages. Every page is in Welsh (lang="cy"),
axe finds nothing, and nothing scrolls sideways at 320 px."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from microintern.applications.enums import PlaceState
from microintern.hosts import links
from microintern.hosts.models import HostContact, UnconfirmedProposal
from microintern.programme.enums import MicroInternshipState
from tests import smtp_sink as sink
from tests.applications.factories import ExpressionOfInterestFactory
from tests.browser.conftest import save_screenshot, sign_in
from tests.browser.student_pages import check_page, last_to
from tests.hosts.factories import HostContactFactory
from tests.hosts.test_host_journey import PROPOSAL
from tests.programme.factories import MicroInternshipFactory

smtp_sink = sink.smtp_sink  # the fixture
pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "gwen.morgan@elusen-y-dyffryn.example"
CONTEXT = "Elusen fach sy'n cael ei rhedeg gan wirfoddolwyr yn y dyffryn."


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def in_welsh(page) -> None:
    assert page.locator("html").get_attribute("lang") == "cy", page.url
    switch = page.get_by_role("link", name="English")  # a button once signed in
    expect(switch.or_(page.get_by_role("button", name="English"))).to_be_visible()


def heading(page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def test_the_welsh_host_journey(site, page, axe, smtp_sink):
    page.goto(site + "/")
    page.get_by_role("link", name="Cymraeg").click()
    in_welsh(page)

    # The offer form, sent once without the question: Welsh messages, text kept.
    page.goto(site + "/host/offer/")
    in_welsh(page)
    assert heading(page) == "Cynnig her i'n myfyrwyr"
    check_page(page, axe)
    page.get_by_label("Enw'r sefydliad").fill("Elusen y Dyffryn")
    page.get_by_label("Math o sefydliad").select_option(label="Elusen")
    page.get_by_label("Sector").fill("Cymuned")
    page.get_by_label("Maint").select_option(label="Micro (1–9 o bobl)")
    page.get_by_label("Eich enw", exact=True).fill("Gwen Morgan")
    page.get_by_label("Eich cyfeiriad e-bost").fill(EMAIL)
    page.get_by_label("Teitl byr i'r her").fill("Denu gwirfoddolwyr ifanc")
    page.get_by_label("Am eich sefydliad a'r sefyllfa").fill(CONTEXT)
    page.get_by_label("Sut beth fyddai canlyniad defnyddiol").fill("Tri syniad a chost pob un.")
    page.get_by_label("Y cyfeiriad lle byddai'r tîm yn gweithio").fill("12 Stryd y Felin")
    page.get_by_label("Oes mynediad heb risiau?").select_option(label="Oes")
    page.get_by_role("button", name="Anfon fy her").click()
    summary = page.get_by_role("alert")
    assert "Mae problem" in summary.inner_text()
    assert "Dywedwch wrthym: y cwestiwn yr hoffech i'r tîm ei ateb" in summary.inner_text()
    assert page.get_by_label("Am eich sefydliad a'r sefyllfa").input_value() == CONTEXT
    assert page.get_by_label("Enw'r sefydliad").input_value() == "Elusen y Dyffryn"
    assert page.title().startswith("Gwall:")
    in_welsh(page)
    check_page(page, axe)
    save_screenshot(page, "welsh-host-1-offer-errors")

    page.get_by_label("Y cwestiwn yr hoffech i'r tîm ei ateb").fill("Sut i ddenu pobl dan 30?")
    page.get_by_role("button", name="Anfon fy her").click()
    assert heading(page) == "Diolch: mae eich her gennym"
    in_welsh(page)
    check_page(page, axe)
    ack = last_to(smtp_sink, EMAIL)
    assert ack.subject.strip() == "Mae eich her gennym: Denu gwirfoddolwyr ifanc"
    assert "Diolch am gynnig" in ack.body
    contact = HostContact.objects.get(email=EMAIL)
    assert contact.user.language == "cy"

    # Signed in: their challenges, the challenge, the plan for the day, the feedback page.
    challenge = contact.challenges.get()
    mi = MicroInternshipFactory(
        challenge=challenge,
        state=MicroInternshipState.COMPLETED,
        starts_at=timezone.now() - timedelta(days=2),
        ends_at=timezone.now() - timedelta(days=2) + timedelta(hours=7),
    )
    for name in ("Ffion Evans", "Dafydd Jones"):
        ExpressionOfInterestFactory(
            micro_internship=mi, state=PlaceState.ATTENDED, student__full_name=name
        )
    sign_in(page, site, contact.user)
    page.goto(site + "/host/")
    in_welsh(page)
    assert heading(page) == "Elusen y Dyffryn: eich heriau"
    expect(page.get_by_text("Wedi'i chwblhau")).to_be_visible()
    check_page(page, axe)
    save_screenshot(page, "welsh-host-2-home")

    page.get_by_role("link", name="Denu gwirfoddolwyr ifanc").click()
    in_welsh(page)
    expect(page.get_by_text("Mynediad heb risiau")).to_be_visible()
    check_page(page, axe)

    page.goto(f"{site}/host/micro-internships/{mi.pk}/")
    in_welsh(page)
    expect(page.get_by_role("heading", name="Eich tîm")).to_be_visible()
    expect(page.get_by_text("Ffion", exact=False)).to_be_visible()
    check_page(page, axe)
    page.get_by_label("Ffeil friffio").set_input_files(
        files=[{"name": "run.exe", "mimeType": "application/pdf", "buffer": b"MZ\x90" * 50}]
    )
    page.get_by_role("button", name="Rhannu'r ffeil hon gyda'r tîm").click()
    assert "Ni ellir rhannu'r math hwn o ffeil yma." in page.get_by_role("alert").inner_text()
    in_welsh(page)
    check_page(page, axe)
    save_screenshot(page, "welsh-host-3-day-file-refused")

    page.get_by_role("link", name="Dywedwch wrthym sut aeth y diwrnod").click()
    assert heading(page) == "Sut aeth y diwrnod?"
    in_welsh(page)
    check_page(page, axe)


def test_the_welsh_confirm_link_pages(site, page, axe, make_user):
    contact = HostContactFactory(
        organisation__name="Elusen y Dyffryn",
        name="Gwen Morgan",
        email=EMAIL,
        user=make_user("host", email=EMAIL, language="cy"),
    )
    proposal = UnconfirmedProposal.objects.create(
        contact=contact,
        title="Denu gwirfoddolwyr ifanc",
        typed={**PROPOSAL, "step_free_access": True, "quiet_room": False},
        proposed_at=contact.organisation.created_at,
    )
    page.goto(site + "/")
    page.get_by_role("link", name="Cymraeg").click()
    page.goto(f"{site}/host/offer/confirm/{links.confirm_token(proposal)}/")
    in_welsh(page)
    assert heading(page) == "Ai chi gynigiodd yr her hon?"
    expect(page.get_by_text("(amser y DU)")).to_be_visible()
    check_page(page, axe)
    page.get_by_role("button", name=re.compile("Ie, fi a'i cynigiodd")).click()
    assert heading(page) == "Her wedi'i hychwanegu"
    in_welsh(page)
    check_page(page, axe)
    page.goto(f"{site}/host/offer/confirm/not-a-real-token/")
    assert heading(page) == "Nid yw'r ddolen hon yn gweithio"
    in_welsh(page)
    check_page(page, axe)
