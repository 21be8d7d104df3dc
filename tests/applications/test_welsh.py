"""The student journey in Welsh: the pages, the form's messages and the emails follow the
language the student chose; everyone else still reads English."""

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from microintern.accounts.domain import set_language_preference
from microintern.accounts.models import Student
from microintern.applications import notifications
from microintern.applications.enums import PlaceState
from microintern.mail.models import OutboundMessage
from microintern.mail.roles import get_role
from microintern.mail.templating import (
    check_source,
    default_source,
    placeholders_in,
    template_dir,
    translated_source,
)
from tests.accounts.factories import StudentFactory, sign_in
from tests.applications.factories import ExpressionOfInterestFactory
from tests.applications.helpers import last_email_to

pytestmark = pytest.mark.django_db

FORM = {
    "full_name": "Megan Pritchard",
    "email": "m.pritchard@example.ac.uk",
    "student_number": "s7654321",
    "statement": "Rydw i yn byw yn lleol ac eisiau profiad gyda busnes go iawn.",
    "can_attend": "on",
}


def welsh_roles() -> set[str]:
    return {
        p.name.removesuffix(".subject.txt") for p in (template_dir() / "cy").glob("*.subject.txt")
    }


@pytest.fixture
def welsh(client):
    client.get(reverse("set_language"), {"language": "cy", "next": "/"})
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


@pytest.fixture
def acknowledgement(open_mi, django_capture_on_commit_callbacks):
    """Send the form with `client` and return the email it brings."""

    def send(client):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("applications:express_interest", args=[open_mi.reference]), FORM)
        return last_email_to(FORM["email"])

    return send


def test_a_welsh_form_is_acknowledged_in_welsh_and_the_choice_kept_for_later_emails(
    welsh, open_mi, acknowledgement
):
    email = acknowledgement(welsh)
    assert email.subject.startswith("Mae eich diddordeb yn ")
    assert "Diolch am ddweud bod gennych ddiddordeb" in email.body
    assert "(amser y DU)" in email.body and "(UK time)" not in email.body
    with translation.override("cy"):
        closes = formats.date_format(
            timezone.localtime(open_mi.interest_closes_at), r"l j F \a\m H:i"
        )
    assert closes in email.body  # "Dydd Gwener 5 Mawrth am 17:00"
    assert Student.objects.get(email=FORM["email"]).user.language == "cy"


def test_an_english_form_is_acknowledged_in_english(client, acknowledgement):
    email = acknowledgement(client)
    assert email.subject.startswith("We have your interest in ")
    assert "Thank you for saying you are interested" in email.body and "(UK time)" in email.body
    assert Student.objects.get(email=FORM["email"]).user.language == ""


def test_a_student_who_chose_welsh_hears_in_welsh_whoever_makes_the_change(
    open_mi, django_capture_on_commit_callbacks
):
    welsh_student = StudentFactory(with_user=True)
    set_language_preference(welsh_student.user, "cy")
    english_student = StudentFactory(with_user=True)
    with translation.override("en-gb"), django_capture_on_commit_callbacks(execute=True):
        for student in (welsh_student, english_student):
            interest = ExpressionOfInterestFactory(student=student, micro_internship=open_mi)
            notifications.queue_interest_email(interest, "place_waitlisted")
    welsh_email = last_email_to(welsh_student.email)
    assert welsh_email.subject.startswith("Rydych ar y rhestr aros")
    english_email = last_email_to(english_student.email)
    assert english_email.subject.startswith("You're on the waiting list")


def test_many_emails_at_once_each_go_in_their_recipients_language(open_mi):
    welsh_student = StudentFactory(with_user=True)
    set_language_preference(welsh_student.user, "cy")
    english_student = StudentFactory(with_user=True)
    moves = [
        (ExpressionOfInterestFactory(student=s, micro_internship=open_mi), PlaceState.NOT_SELECTED)
        for s in Student.objects.filter(pk__in=[welsh_student.pk, english_student.pk])
    ]
    notifications.queue_place_emails(moves)
    subjects = dict(OutboundMessage.objects.values_list("to", "subject"))
    assert subjects[welsh_student.email].startswith("Ynglŷn â ")
    assert subjects[english_student.email].startswith("About ")


@pytest.mark.parametrize("role", sorted(welsh_roles()))
def test_each_welsh_email_uses_only_what_its_role_may_use(role):
    subject, body = translated_source(role, "cy")
    assert check_source(get_role(role), subject, body) == []
    english_subject, english_body = default_source(role)
    assert placeholders_in(subject + body) == placeholders_in(english_subject + english_body)


def test_a_student_who_chose_welsh_sees_their_own_page_in_welsh_on_any_device(client, open_mi):
    student = StudentFactory(with_user=True)
    set_language_preference(student.user, "cy")
    ExpressionOfInterestFactory(student=student, micro_internship=open_mi)
    sign_in(client, student.user)  # a new browser: no language cookie yet
    page = client.get(reverse("applications:my_interests")).content.decode()
    assert '<html lang="cy">' in page
    assert "<h1>Fy micro-interniaethau</h1>" in page
    assert "Wedi'i wneud yn eich enw tra oeddech wedi allgofnodi" in page.replace("&#x27;", "'")
    assert "Cadw — fi oedd hyn" in page
    assert "Ffurflen ar y we, gan rywun nad oedd wedi mewngofnodi" in page  # a source's label


@pytest.mark.parametrize(
    ("to_state", "welsh_subject", "english_subject"),
    [
        (PlaceState.ATTENDED, "Diolch am gymryd rhan yn ", "Thank you for taking part in "),
        (PlaceState.NO_SHOW, "Roedden ni’n gweld eich colli yn ", "We missed you at "),
        (PlaceState.WITHDRAWN, "Rydych wedi tynnu’n ôl o ", "You have withdrawn from "),
        (PlaceState.EXPIRED, "Mae eich cynnig ar gyfer ", "Your offer for "),
    ],
)
def test_the_emails_after_the_team_is_chosen_follow_the_students_language(
    open_mi, to_state, welsh_subject, english_subject, django_capture_on_commit_callbacks
):
    welsh_student = StudentFactory(with_user=True)
    set_language_preference(welsh_student.user, "cy")
    english_student = StudentFactory(with_user=True)
    with django_capture_on_commit_callbacks(execute=True):
        for student in (welsh_student, english_student):
            interest = ExpressionOfInterestFactory(student=student, micro_internship=open_mi)
            notifications.queue_place_email(interest, PlaceState.ACCEPTED, to_state)
    welsh_email = last_email_to(welsh_student.email)
    assert welsh_email.subject.startswith(welsh_subject + open_mi.title)
    assert "Helo " in welsh_email.body and "Hello " not in welsh_email.body
    assert last_email_to(english_student.email).subject.startswith(english_subject)


def test_a_team_message_wraps_staffs_words_in_the_students_language(
    open_mi, django_capture_on_commit_callbacks
):
    welsh_student = StudentFactory(with_user=True)
    set_language_preference(welsh_student.user, "cy")
    team = [ExpressionOfInterestFactory(student=welsh_student, micro_internship=open_mi)]
    with django_capture_on_commit_callbacks(execute=True):
        notifications.queue_team_message(team, subject="Parking", message="Use the side gate.")
    email = last_email_to(welsh_student.email)
    assert email.subject == f"Parking ({open_mi.reference})"
    assert "Use the side gate." in email.body
    with translation.override("cy"):
        day = formats.date_format(timezone.localtime(open_mi.starts_at), "l j F Y")
    assert f"gyda {open_mi.challenge.organisation.name} ar {day}, ac aeth at bawb yn y tîm" in (
        email.body
    )


def test_the_public_checks_of_a_certificate_and_of_the_draw_are_in_welsh(welsh):
    wrong_length = welsh.get(reverse("public:check_certificate"), {"code": "7K3M-Q9XA"})
    assert wrong_length.status_code == 400
    page = wrong_length.content.decode().replace("&#x27;", "’")
    assert "<h1>Gwirio tystysgrif cymryd rhan</h1>" in page
    assert "Mae gan god tystysgrif 12 o lythrennau a digidau (teipioch chi 8)" in page
    unknown = welsh.get(reverse("public:check_certificate"), {"code": "7K3M-Q9XA-2B4D"})
    assert unknown.status_code == 404
    assert "Does dim tystysgrif gyda’r cod hwn." in unknown.content.decode()
    rounds = welsh.get(reverse("public:selection_rounds")).content.decode()
    assert "<h1>Sut rydym yn dewis pwy sy’n cael y lleoedd</h1>" in rounds
    assert "Dim rowndiau dewis eto." in rounds
