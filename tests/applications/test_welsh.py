"""The student journey in Welsh: the pages, the form's messages and the emails follow the
language the student chose; everyone else still reads English."""

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

pytestmark = pytest.mark.django_db

FORM = {
    "full_name": "Megan Pritchard",
    "email": "m.pritchard@example.ac.uk",
    "student_number": "s7654321",
    "statement": "Rydw i yn byw yn lleol ac eisiau profiad gyda busnes go iawn.",
    "can_attend": "on",
}


@pytest.fixture
def welsh(client):
    client.post(reverse("set_language"), {"language": "cy", "next": "/"})
    return client


def test_the_list_and_a_micro_internships_page_are_in_welsh(welsh, open_mi):
    listing = welsh.get(reverse("public:home")).content.decode()
    assert "Micro-interniaethau sydd ar agor nawr" in listing
    assert "(amser y DU)" in listing and "(UK time)" not in listing
    detail = welsh.get(reverse("public:detail", args=[open_mi.reference])).content.decode()
    assert "Beth fydd y tîm yn ei wneud" in detail
    assert "Dywedwch fod gennych ddiddordeb" in detail


def test_english_and_welsh_readers_each_get_their_own_cached_page(client, welsh, open_mi):
    assert "Micro-internships open now" in client.get("/", HTTP_COOKIE="").content.decode()
    assert "Micro-interniaethau sydd ar agor nawr" in welsh.get("/").content.decode()
    welsh.cookies.clear()
    page = welsh.get("/").content.decode()
    assert "Micro-internships open now" in page and "Micro-interniaethau" not in page


def test_dates_are_written_in_welsh(welsh, open_mi):
    with translation.override("cy"):
        day = formats.date_format(timezone.localtime(open_mi.starts_at), "l j F Y")
    page = welsh.get(reverse("public:detail", args=[open_mi.reference])).content.decode()
    assert day in page
    assert day.split()[0] in ("Dydd", "dydd")  # "Dydd Llun 1 Mawrth 2027"


def test_a_mistake_on_the_form_is_explained_in_welsh_and_keeps_the_text(welsh, open_mi):
    response = welsh.post(
        reverse("applications:express_interest", args=[open_mi.reference]),
        {**FORM, "email": "megan@gmail.com"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Mae problem" in page
    assert "Defnyddiwch eich cyfeiriad e-bost prifysgol" in page
    assert FORM["statement"] in page
    assert "Eich rhif myfyriwr" in page


def test_the_sent_page_is_in_welsh(welsh, open_mi, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = welsh.post(
            reverse("applications:express_interest", args=[open_mi.reference]), FORM
        )
    page = welsh.get(response.url).content.decode()
    assert "Gwiriwch eich e-bost" in page and "Beth sy'n digwydd nesaf" in page
