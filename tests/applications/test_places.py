"""After the interest: offers by signed link, reminders, feedback and the certificate."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from microintern.applications import links
from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from microintern.applications.models import SentReminder
from microintern.applications.reminders import send_due_reminders
from microintern.core.models import ActivityLog
from microintern.programme.enums import MicroInternshipState
from microintern.surveys.models import DayFeedback
from tests.accounts.factories import StudentFactory
from tests.applications.factories import ExpressionOfInterestFactory
from tests.applications.helpers import emails_to, last_email_to, link_in
from tests.pdf_structure import read_structure
from tests.programme.factories import MicroInternshipFactory, on_the_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a block and then its after-commit work (the emails), as a real request would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def offered(committed):
    interest = ExpressionOfInterestFactory()
    with committed():
        transition_place(interest, PlaceState.OFFERED, reason="You had not taken part before.")
    interest.refresh_from_db()
    return interest


def offer_link(interest):
    return link_in(last_email_to(interest.student.email), "/my/offer/")


def test_an_offer_link_accepts_without_signing_in_then_says_it_was_used(client, offered, committed):
    link = offer_link(offered)
    page = client.get(link).content.decode()
    assert "Accept my place" in page and "You had not taken part before." in page
    with committed():
        response = client.post(link, {"action": "accept"})
    offered.refresh_from_db()
    assert offered.state == PlaceState.ACCEPTED
    page = client.get(response.url).content.decode()
    assert "You have accepted your place" in page
    assert "You have accepted this place." in page and "this link has done its job" in page.lower()
    assert "openstreetmap.org/search?query=1+High+Street%2C+Midtown" in page
    assert f"/micro-internships/{offered.micro_internship.reference}/calendar.ics" in page
    confirmation = last_email_to(offered.student.email)
    assert confirmation.attachments and confirmation.attachments[0][0].endswith(".ics")
    client.post(link, {"action": "decline"})  # a second use changes nothing
    offered.refresh_from_db()
    assert offered.state == PlaceState.ACCEPTED


def test_a_declined_offer_link_says_so_kindly(client, offered):
    link = offer_link(offered)
    page = client.post(link, {"action": "decline"}).content.decode()
    assert "Decline your place?" in page and "This cannot be undone" in page
    offered.refresh_from_db()
    assert offered.state == PlaceState.OFFERED  # nothing happens until they confirm
    client.post(link, {"action": "decline", "confirm": "yes"})
    page = client.get(link).content.decode()
    assert "You declined this place, so this link has been used." in page


def test_an_offer_link_after_the_reply_by_time_says_so_kindly(client, offered):
    type(offered).objects.filter(pk=offered.pk).update(
        offer_expires_at=timezone.now() - timedelta(minutes=1)
    )
    offered.refresh_from_db()  # as if the reply-by time had passed since the email was sent
    link = reverse("applications:offer", args=[links.offer_token(offered)])
    page = client.get(link).content.decode()
    assert "the time to reply to this offer ended" in page and "Accept my place" not in page
    client.post(link, {"action": "accept"})
    offered.refresh_from_db()
    assert offered.state == PlaceState.OFFERED


def test_an_expired_offer_and_an_old_offer_link_say_what_happened(client, offered, committed):
    link = offer_link(offered)
    with committed():
        transition_place(offered, PlaceState.EXPIRED)
    assert "this offer ended because the reply-by time passed" in client.get(link).content.decode()
    second = ExpressionOfInterestFactory(micro_internship=offered.micro_internship)
    with committed():
        transition_place(second, PlaceState.OFFERED)
    old = offer_link(second)
    with committed():
        transition_place(second, PlaceState.WITHDRAWN)
    assert "This offer link cannot be used any more" in client.get(old).content.decode()


def test_a_tampered_offer_link_does_not_work(client, offered):
    page = client.get(offer_link(offered)[:-4] + "abc/").content.decode()
    assert "This link does not work" in page


def test_another_signed_in_student_cannot_use_an_offer_link_and_it_is_logged(client, offered):
    other = StudentFactory(with_user=True)
    client.force_login(other.user)
    link = offer_link(offered)
    assert client.post(link, {"action": "accept"}).status_code == 403
    offered.refresh_from_db()
    assert offered.state == PlaceState.OFFERED
    entry = ActivityLog.objects.get(action="place.refused_not_owner")
    assert entry.actor == other.user and entry.data["via"] == "offer link"


def test_another_student_cannot_accept_through_my_page_and_it_is_logged(client, offered):
    other = StudentFactory(with_user=True)
    client.force_login(other.user)
    assert client.post(f"/my/places/{offered.pk}/accept/").status_code == 403
    assert ActivityLog.objects.filter(action="place.refused_not_owner").exists()


def test_my_page_shows_states_reasons_and_accepts_before_the_deadline(client, offered):
    client.force_login(offered.student.user)
    page = client.get("/my/").content.decode()
    assert "Offered a place" in page and "Why:" in page and "Please reply by" in page
    client.post(f"/my/places/{offered.pk}/accept/")
    page = client.get("/my/").content.decode()
    assert "Place accepted" in page and "Joining instructions" in page and "Withdraw" in page
    page = client.post(f"/my/places/{offered.pk}/withdraw/").content.decode()
    assert "Withdraw?" in page and "No, go back" in page
    client.post(f"/my/places/{offered.pk}/withdraw/", {"confirm": "yes"})
    offered.refresh_from_db()
    assert offered.state == PlaceState.WITHDRAWN


def test_the_offer_reply_time_is_the_configured_number_of_hours(settings, committed):
    settings.MICROINTERN = {**settings.MICROINTERN, "OFFER_REPLY_HOURS": 24}
    interest = ExpressionOfInterestFactory()
    before = timezone.now()
    transition_place(interest, PlaceState.OFFERED, now=before)
    interest.refresh_from_db()
    assert interest.offer_expires_at == before + timedelta(hours=24)


def accepted_for(starts_in: timedelta):
    mi = MicroInternshipFactory(
        state=MicroInternshipState.SELECTION_PUBLISHED,
        starts_at=timezone.now() + starts_in,
        interest_opens_at=timezone.now() - timedelta(days=20),
        interest_closes_at=timezone.now() - timedelta(days=10),
    )
    return ExpressionOfInterestFactory(micro_internship=mi, state=PlaceState.ACCEPTED)


def test_reminders_go_two_days_and_one_day_before_and_only_once(committed):
    interest = accepted_for(timedelta(days=5))
    start = interest.micro_internship.starts_at
    with committed():
        assert send_due_reminders(start - timedelta(days=3)) == 0
        assert send_due_reminders(start - timedelta(days=2)) == 1
        assert send_due_reminders(start - timedelta(days=2) + timedelta(hours=1)) == 0
        assert send_due_reminders(start - timedelta(days=1)) == 1
        assert send_due_reminders(start - timedelta(hours=2)) == 0
    reminders = emails_to(interest.student.email)
    assert [m.subject.startswith("Reminder:") for m in reminders] == [True, True]
    assert "openstreetmap.org" in reminders[0].body and "calendar.ics" in reminders[0].body
    assert set(SentReminder.objects.values_list("kind", flat=True)) == {"two_days", "one_day"}


def test_a_late_acceptance_gets_only_the_one_day_reminder_and_others_get_none(committed):
    late = accepted_for(timedelta(hours=30))  # accepted after the two-day reminder was due
    withdrawn = accepted_for(timedelta(hours=30))
    type(withdrawn).objects.filter(pk=withdrawn.pk).update(state=PlaceState.WITHDRAWN)
    with committed():
        assert send_due_reminders(timezone.now()) == 0
        assert send_due_reminders(timezone.now() + timedelta(hours=7)) == 1
    assert [(r.interest, r.kind) for r in SentReminder.objects.all()] == [(late, "one_day")]
    assert not emails_to(withdrawn.student.email)


def test_reminders_are_a_periodic_job():
    from django.conf import settings

    assert "microintern.applications.reminders.run_due_reminders" in (
        settings.MICROINTERN_PERIODIC_JOBS
    )


@pytest.fixture
def attended(committed):
    interest = accepted_for(timedelta(days=1))
    with on_the_day(interest.micro_internship, hours=7):  # the test runs on the day too
        with committed():
            transition_place(interest, PlaceState.ATTENDED)
        yield interest


def test_thank_you_email_links_to_feedback_that_is_stored(client, attended):
    email = last_email_to(attended.student.email)
    feedback = link_in(email, "/my/feedback/")
    page = client.post(feedback, {"comment": "Loved the team."}).content.decode()
    assert "Please choose how useful the day was." in page and "Loved the team." in page
    response = client.post(feedback, {"rating": "4", "comment": "Loved the team."})
    assert response.status_code == 302
    stored = DayFeedback.objects.get(interest=attended)
    assert (stored.rating, stored.comment) == (4, "Loved the team.")
    assert "we have your feedback" in client.get(feedback).content.decode()


def test_certificate_only_for_students_marked_attended(client, attended, offered):
    response = client.get(link_in(last_email_to(attended.student.email), "/my/certificate/"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and b"/Count 1" in response.content
    assert attended.micro_internship.reference in response["Content-Disposition"]
    client.force_login(offered.student.user)
    response = client.get(f"/my/places/{offered.pk}/certificate.pdf")
    assert response.status_code == 404
    assert "Certificates are for students who took part" in response.content.decode()
    client.force_login(attended.student.user)
    assert client.get(f"/my/places/{attended.pk}/certificate.pdf").status_code == 200


def _certificate_code(client, interest) -> str:
    client.force_login(interest.student.user)
    response = client.get(f"/my/places/{interest.pk}/certificate.pdf")
    assert response.status_code == 200
    interest.refresh_from_db()
    code = interest.certificate_code
    printed = "-".join(code[i : i + 4] for i in range(0, 12, 4))
    assert f"with the code {printed}".encode() in response.content
    return printed


def test_anyone_with_the_code_can_check_the_certificate(client, attended):
    printed = _certificate_code(client, attended)
    assert _certificate_code(client, attended) == printed  # every copy carries the same code
    client.logout()
    typed = printed.lower().replace("-", " ")
    page = client.get("/certificates/", {"code": typed}).content.decode()
    mi = attended.micro_internship
    assert "This certificate is genuine" in page
    assert escape(attended.student.full_name) in page and mi.title in page and mi.reference in page
    assert mi.challenge.organisation.name in page
    assert timezone.localtime(mi.starts_at).strftime("%A") in page
    assert attended.student.email not in page and attended.student.student_number not in page
    assert '<meta name="robots" content="noindex">' in page


def test_a_corrected_attendance_makes_the_certificate_no_longer_valid(client, attended):
    printed = _certificate_code(client, attended)
    attended.refresh_from_db()
    transition_place(attended, PlaceState.NO_SHOW, reason="Marked present by mistake.")
    page = client.get("/certificates/", {"code": printed}).content.decode()
    assert "This certificate is no longer valid" in page
    assert "This certificate is genuine" not in page


def test_a_mistyped_or_unknown_code_is_told_what_is_wrong(client, attended):
    printed = _certificate_code(client, attended)
    short = client.get("/certificates/", {"code": printed[:-1]})
    assert short.status_code == 400
    assert "has 12 letters and digits (you typed 11)" in short.content.decode()
    assert f'value="{printed[:-1]}"' in short.content.decode()  # the typed code stays
    other = "0" * 12 if printed.replace("-", "") != "0" * 12 else "1" * 12
    unknown = client.get("/certificates/", {"code": other})
    assert unknown.status_code == 404
    assert "No certificate has this code" in unknown.content.decode()
    assert client.get("/certificates/").status_code == 200


def test_no_show_gets_a_kind_email_and_nothing_else_changes(committed):
    interest = accepted_for(timedelta(days=1))
    mail.outbox.clear()
    with on_the_day(interest.micro_internship, hours=7), committed():
        transition_place(interest, PlaceState.NO_SHOW)
    (email,) = emails_to(interest.student.email)
    assert "is everything all right" in email.subject and "no penalty" in email.body


def test_the_periodic_job_and_the_task_send_due_reminders(committed):
    from django.conf import settings
    from django.utils.module_loading import import_string

    from microintern.applications.reminders import send_due_reminders_task

    soon = accepted_for(timedelta(hours=40))
    type(soon).objects.filter(pk=soon.pk).update(
        state_changed_at=timezone.now() - timedelta(days=5)
    )
    (job,) = [p for p in settings.MICROINTERN_PERIODIC_JOBS if "reminders" in p]
    with committed():
        import_string(job)()  # what `run_periodic` calls
    assert SentReminder.objects.filter(interest=soon, kind="two_days").exists()
    tomorrow = accepted_for(timedelta(hours=20))
    type(tomorrow).objects.filter(pk=tomorrow.pk).update(
        state_changed_at=timezone.now() - timedelta(days=5)
    )
    with committed():
        send_due_reminders_task.enqueue()
    assert SentReminder.objects.filter(interest=tomorrow, kind="one_day").exists()
    assert len(emails_to(soon.student.email)) == 1 and len(emails_to(tomorrow.student.email)) == 1


def test_the_deploy_check_warns_when_email_links_would_point_at_localhost(settings):
    from microintern.applications.checks import links_in_emails_point_at_this_site

    settings.MICROINTERN = {**settings.MICROINTERN, "BASE_URL": "http://127.0.0.1:8000"}
    assert [w.id for w in links_in_emails_point_at_this_site(None)] == ["microintern.W301"]
    settings.MICROINTERN = {**settings.MICROINTERN, "BASE_URL": "https://mi.example.ac.uk"}
    assert links_in_emails_point_at_this_site(None) == []


def test_a_cancelled_micro_internship_says_so_and_its_offer_cannot_be_accepted(
    client, offered, committed
):
    from microintern.programme.domain import transition_micro_internship

    link = offer_link(offered)
    mi = offered.micro_internship
    type(mi).objects.filter(pk=mi.pk).update(state=MicroInternshipState.SELECTION_PUBLISHED)
    with committed():
        transition_micro_internship(mi, MicroInternshipState.CANCELLED, reason="The host closed.")
    page = client.get(link).content.decode()
    assert "has been cancelled" in page and "The host closed." in page
    assert "Accept my place" not in page
    client.force_login(offered.student.user)
    client.post(f"/my/places/{offered.pk}/accept/")
    offered.refresh_from_db()
    assert offered.state == PlaceState.OFFERED
    page = client.get("/my/").content.decode()
    assert "Cancelled." in page and "Accept my place" not in page


@pytest.mark.parametrize(
    "role",
    [
        "interest_acknowledged",
        "interest_already_received",
        "place_offered",
        "place_confirmed",
        "reminder_two_days",
        "reminder_one_day",
        "thank_you",
    ],
)
def test_student_email_templates_pass_the_outbox_checks_so_staff_can_edit_them(role):
    from microintern.mail.roles import get_role
    from microintern.mail.templating import check_source, default_source

    assert check_source(get_role(role), *default_source(role)) == []


def test_the_certificate_is_a_tagged_pdf_a_screen_reader_reads_in_order(client, attended):
    response = client.get(link_in(last_email_to(attended.student.email), "/my/certificate/"))
    pdf = read_structure(response.content)
    mi = attended.micro_internship
    assert pdf.marked and pdf.lang == "en-GB" and pdf.displays_title
    assert pdf.title == f"Certificate of participation – {mi.reference}"
    assert pdf.untagged == [] and pdf.unclaimed == []
    said = [(e.path, e.text) for e in pdf.elements]
    assert said[:3] == [
        ("Document/H1", "Certificate of participation"),
        ("Document/P", "This is to certify that"),
        ("Document/P", attended.student.full_name),
    ]
    assert [path for path, _ in said] == ["Document/H1"] + ["Document/P"] * 8
    assert said[-1][1].startswith("Check this certificate at") and "-" in said[-1][1]
