"""Staff pages of the outbox and the template editor, as staff use them."""

import re
import threading

import pytest
from django.db import connection, transaction
from django.urls import reverse

from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from microintern.applications.notifications import holding_emails
from microintern.core.locking import lock_row
from microintern.mail.enums import MessageState
from microintern.mail.models import EmailTemplate, OutboundMessage
from microintern.mail.outbox import queue_email
from microintern.mail.roles import all_roles
from microintern.mail.sample import sample_context
from microintern.mail.templating import (
    check_source,
    common_context,
    default_source,
    render_source,
)
from tests import smtp_sink as sink
from tests.applications.factories import ExpressionOfInterestFactory

smtp_sink = sink.smtp_sink  # the fixture

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_refused_email_is_shown_failed_with_the_reason_and_can_be_retried(
    staff_client, smtp_sink
):
    interest = ExpressionOfInterestFactory()
    smtp_sink.refuse[interest.student.email] = (550, "5.1.1 Mailbox unavailable")
    transition_place(interest, PlaceState.OFFERED)
    message = OutboundMessage.objects.get(role="place_offered")
    assert message.state == MessageState.FAILED

    listing = staff_client.get(reverse("staff:outbox"), {"state": "failed"}).content.decode()
    assert 'class="row-failed"' in listing and "Mailbox unavailable" in listing
    assert "<td>Place offered</td>" in listing and ">place_offered<" not in listing
    page = staff_client.get(reverse("staff:outbox_message", args=[message.pk])).content.decode()
    assert "This email was not sent" in page and "550" in page
    assert "<dd>Place offered</dd>" in page and ">place_offered<" not in page

    del smtp_sink.refuse[interest.student.email]
    response = staff_client.post(reverse("staff:outbox_retry", args=[message.pk]), follow=True)
    assert "queued to be tried again" in response.content.decode()
    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert len(smtp_sink.to(interest.student.email)) == 1


def test_each_students_message_history_is_listed(staff_client, smtp_sink):
    interest = ExpressionOfInterestFactory()
    transition_place(interest, PlaceState.WAITLISTED)
    transition_place(interest, PlaceState.OFFERED)
    page = staff_client.get(
        reverse("staff:student_messages", args=[interest.student.pk])
    ).content.decode()
    assert page.count("<tr") == 3  # header + two emails
    # Each email by its kind in words and its subject, not the template's file name.
    assert "<td>On the waiting list</td>" in page and "<td>Place offered</td>" in page
    assert "place_waitlisted" not in page
    assert "You&#x27;re on the waiting list" in page and "A place for you" in page


def test_held_drafts_are_released_from_the_outbox_page(staff_client, smtp_sink):
    interests = [ExpressionOfInterestFactory() for _ in range(2)]
    drafts = [
        queue_email(
            "place_offered",
            to=i.student.email,
            context={"interest": i, "student": i.student, "mi": i.micro_internship},
            hold=True,
        )
        for i in interests
    ]
    page = staff_client.get(reverse("staff:outbox"), {"state": "draft"}).content.decode()
    assert "Send the ticked emails" in page
    response = staff_client.post(
        reverse("staff:outbox_release"), {"message": [drafts[0].pk]}, follow=True
    )
    assert "1 held email released." in response.content.decode()
    assert [r.rcpt_tos for r in smtp_sink.received] == [[interests[0].student.email]]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("Hello {{ student.nickname }}", "{{ student.nickname }} is not a placeholder"),
        ("Hello {{ student.imd_quintile }}", "{{ student.imd_quintile }} is not a placeholder"),
        ("Hello {% if student.display_name %}", "Unclosed tag"),
        ("Hello {{ student.display_name|nosuchfilter }}", "Invalid filter"),
        ("{% load static %}Hello", "{% load %} tag cannot be used"),
        ("{% include 'base.html' %}", "{% include %} tag cannot be used"),
        ("   ", "Write the body of the email."),
    ],
)
def test_a_broken_template_is_refused_on_save_with_the_reason(staff_client, body, reason):
    url = reverse("staff:email_template", args=["place_offered"])
    response = staff_client.post(url, {"subject": "An offer", "body": body, "action": "save"})
    assert response.status_code == 200
    assert reason in response.content.decode().replace("&#x27;", "'")
    assert not EmailTemplate.objects.exists()


def test_an_edited_template_is_previewed_saved_and_used_for_the_next_email(staff_client, smtp_sink):
    url = reverse("staff:email_template", args=["place_offered"])
    page = staff_client.get(url).content.decode()
    assert "student.display_name" in page  # the list of placeholders
    assert "Amira" in page  # the preview with made-up details
    body = (
        "Dear {{ student.display_name }}, a place on {{ mi.title }} is yours"
        "{% if interest.outcome_reason %} because {{ interest.outcome_reason }}{% endif %}."
    )
    preview = staff_client.post(
        url, {"subject": "Offer: {{ mi.reference }}", "body": body, "action": "preview"}
    ).content.decode()
    assert "Offer: MI-2026-007" in preview and "Dear Amira, a place on Reaching more" in preview
    assert not EmailTemplate.objects.exists()  # previewing does not save
    staff_client.post(url, {"subject": "Offer: {{ mi.reference }}", "body": body, "action": "save"})
    interest = ExpressionOfInterestFactory()
    transition_place(interest, PlaceState.OFFERED, reason="Priority group 1.")
    [received] = smtp_sink.received
    assert received.subject == f"Offer: {interest.micro_internship.reference}"
    assert received.body.startswith(f"Dear {interest.student.display_name}, a place on")
    assert "because Priority group 1." in received.body
    staff_client.post(url, {"action": "reset"})
    assert not EmailTemplate.objects.exists()


def test_every_template_role_has_an_editor_page(staff_client):
    page = staff_client.get(reverse("staff:email_templates")).content.decode()
    for role in ("place_offered", "thank_you", "challenge_declined"):
        assert reverse("staff:email_template", args=[role]) in page
        assert staff_client.get(reverse("staff:email_template", args=[role])).status_code == 200
    assert staff_client.get(reverse("staff:email_template", args=["nope"])).status_code == 404


def test_offers_published_while_holding_wait_as_drafts_until_staff_send_them_all(
    staff_client, smtp_sink
):
    interests = [ExpressionOfInterestFactory() for _ in range(3)]
    with holding_emails():
        for interest in interests:
            transition_place(interest, PlaceState.OFFERED)
    transition_place(ExpressionOfInterestFactory(), PlaceState.WAITLISTED)  # not held
    assert len(smtp_sink.received) == 1
    assert OutboundMessage.objects.filter(state=MessageState.DRAFT).count() == 3
    response = staff_client.post(
        reverse("staff:outbox_release"), {"all": "1", "role": "place_offered"}, follow=True
    )
    assert "3 held emails released." in response.content.decode()
    assert sorted(r.rcpt_tos[0] for r in smtp_sink.received[1:]) == sorted(
        i.student.email for i in interests
    )


def test_every_default_template_passes_the_strict_check_and_previews():
    """A default that the editor would refuse could never be saved back by staff."""
    roles = all_roles()
    assert len(roles) >= 16
    for role in roles:
        subject, body = default_source(role.name)
        assert check_source(role, subject, body) == [], role.name
        rendered_subject, rendered_body = render_source(
            subject, body, {**common_context(), **sample_context()}
        )
        assert rendered_subject and rendered_body.strip(), role.name


def test_staff_see_where_personal_links_point_but_not_their_tokens(staff_client, smtp_sink):
    interest = ExpressionOfInterestFactory()
    transition_place(interest, PlaceState.OFFERED)
    message = OutboundMessage.objects.get(role="place_offered")
    link = re.search(r"https?://\S+/my/offer/(\S+?)/", message.body)
    assert link, message.body
    page = staff_client.get(reverse("staff:outbox_message", args=[message.pk])).content.decode()
    assert "/my/offer/[personal link hidden]/" in page
    assert link.group(1) not in page
    assert link.group(1) in smtp_sink.received[0].body  # the student gets the real link


@pytest.mark.postgres
def test_retrying_an_email_someone_else_is_changing_says_try_again_and_changes_nothing(
    staff_client, smtp_sink, settings
):
    """The page's promise: "Someone else is changing this right now. Nothing was changed"."""
    settings.LOCK_TIMEOUT_SECONDS = 0.3
    interest = ExpressionOfInterestFactory()
    smtp_sink.refuse[interest.student.email] = (550, "5.1.1 Mailbox unavailable")
    transition_place(interest, PlaceState.OFFERED)
    message = OutboundMessage.objects.get(role="place_offered")
    holding, release = threading.Event(), threading.Event()

    def hold_the_row():
        with transaction.atomic():
            lock_row(OutboundMessage, message.pk)
            holding.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert holding.wait(10)
        response = staff_client.post(reverse("staff:outbox_retry", args=[message.pk]), follow=True)
    finally:
        release.set()
        holder.join()
    page = response.content.decode()
    assert response.status_code == 200
    assert "Someone else is changing this right now. Nothing was changed" in page
    message.refresh_from_db()
    assert message.state == MessageState.FAILED
