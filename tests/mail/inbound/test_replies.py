"""The decision table for automatic replies, as documented, and the classes of real mail
(complaint reports, SES notifications, list-manager notices, forwarded replies, postmaster)."""

from __future__ import annotations

from pathlib import Path

import pytest

from microintern.mail.inbound.classify import Classification, Kind, classify
from microintern.mail.inbound.parse import ParsedMessage, parse_message
from microintern.mail.inbound.replies import REPLY_RULES, reply_decision

from .helpers import LOOP_VALUE, OWN_ADDRESSES

DOCS = Path(__file__).parents[3] / "docs" / "email-intake.md"
OWN_SERVER = "mx1.example.ac.uk"


def _message(
    headers: str = "",
    body: str = "I am interested in MI-2026-007.",
    *,
    sender: str = "Student <s@student.example.ac.uk>",
    subject: str = "Interest in MI-2026-007",
) -> ParsedMessage:
    base = (
        f"From: {sender}\r\n"
        "To: business-clinic@example.ac.uk\r\n"
        f"Subject: {subject}\r\n"
        "Message-ID: <t@student.example.ac.uk>\r\n"
    )
    if "Return-Path:" not in headers:
        base = "Return-Path: <s@student.example.ac.uk>\r\n" + base
    result = parse_message((base + headers + "\r\n" + body).encode())
    assert isinstance(result, ParsedMessage)
    return result


def _decide(
    message: ParsedMessage, classification: Classification | None = None, *, on_record=True
):
    classification = classification or classify(
        message, own_addresses=OWN_ADDRESSES, own_loop_header_value=LOOP_VALUE
    )
    return reply_decision(
        message,
        classification,
        own_addresses=OWN_ADDRESSES,
        trusted_authserv_id=OWN_SERVER,
        sender_on_record=on_record,
    )


def test_the_documented_table_is_the_table_the_code_follows():
    text = DOCS.read_text()
    table = text.split("<!-- reply-rules:start -->")[1].split("<!-- reply-rules:end -->")[0]
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in table.strip().splitlines()[2:]
    ]
    documented = [(int(n), code.strip("`"), when) for n, code, when in rows]
    in_code = [(n, rule.code, rule.never_when) for n, rule in enumerate(REPLY_RULES, 1)]
    assert documented == in_code


def test_a_students_plain_message_is_acknowledged_to_the_envelope_sender():
    decision = _decide(_message())
    assert decision.allowed and decision.rule == "reply"
    assert decision.reason == "acknowledge to s@student.example.ac.uk"


HUMAN = Classification(Kind.HUMAN, "Written by a person.")

# One message per rule that only that rule (or an earlier one) refuses, with the reason.
REFUSED = [
    ("no-sender", "From: =?utf-8?q?s@student.example.ac.uk?=\r\n", None),
    ("no-sender", "From: s@student.example.ac.uk <attacker@evil.example>\r\n", None),
    ("no-sender", "From: s@student.example.ac.uk, t@student.example.ac.uk\r\n", None),
    ("null-envelope", "Return-Path: <>\r\n", "the envelope sender is null (<>)"),
    ("auto-submitted", "X-Auto-Response-Suppress: DR, OOF, AutoReply\r\n", None),
    ("automated-sender", "Return-Path: <no_reply@student.example.ac.uk>\r\n", None),
    ("automated-sender", "Return-Path: <donotreply-alerts@student.example.ac.uk>\r\n", None),
    ("automated-sender", "Return-Path: <notifications@student.example.ac.uk>\r\n", None),
    ("automated-sender", "Return-Path: <postmaster@student.example.ac.uk>\r\n", None),
    ("spam", "X-Spam-Flag: YES\r\n", None),
    ("spam", "X-Spam-Status: Yes, score=7.1\r\n", None),
    ("spam", "X-MS-Exchange-Organization-SCL: 5\r\n", None),
    ("spam", "X-Forefront-Antispam-Report: CIP:1.2.3.4;SFV:SPM;SCL:9;\r\n", None),
    (
        "auth-fail",
        "Authentication-Results: mx.example.net; dmarc=fail header.from=student.example.ac.uk\r\n",
        "dmarc=fail for student.example.ac.uk",
    ),
    (
        "auth-fail",
        "Authentication-Results: mx.example.net; spf=fail "
        "smtp.mailfrom=s@student.example.ac.uk\r\n",
        "spf=fail for student.example.ac.uk",
    ),
    ("esp-sender", "Return-Path: <0100018f@amazonses.com>\r\n", None),
    ("esp-sender", "Return-Path: <bounces+123-abc=x@em123.sendgrid.net>\r\n", None),
    ("esp-sender", "X-Mailgun-Sid: WyJhYmMiXQ==\r\n", None),
    ("bounce-address", "Return-Path: <bounces@student.example.ac.uk>\r\n", None),
    ("bounce-address", "Return-Path: <students-bounces@lists.example.org>\r\n", None),
    ("bounce-address", "Return-Path: <bounce+tag=s@mg.example.org>\r\n", None),
    ("bounce-address", "Return-Path: <s-123@bounce.example.org>\r\n", None),
    ("bounce-address", "Return-Path: <x@returns.groups.example.com>\r\n", None),
    ("bounce-address", "Return-Path: <owner-students@lists.example.org>\r\n", None),
    ("list", "List-Post: <mailto:l@example.org>\r\n", None),
    ("list", "Feedback-ID: 1:2:3:gmail\r\n", None),
    ("loop", "X-Loop: procmail@student.example.ac.uk\r\n", "it carries an X-Loop header"),
    ("loop", "Reply-To: Business-Clinic+Replies@Example.AC.uk\r\n", None),
]


@pytest.mark.parametrize(("rule", "headers", "reason"), REFUSED, ids=lambda v: str(v)[:40])
def test_each_rule_refuses_what_it_says(rule, headers, reason):
    if headers.startswith("From:"):
        message = _message(sender=headers.removeprefix("From: ").removesuffix("\r\n"))
    else:
        message = _message(headers)
    decision = _decide(message, HUMAN)
    assert not decision.allowed
    assert decision.rule == rule, decision
    if reason:
        assert decision.reason == reason


def test_a_sender_who_is_not_a_student_on_record_gets_no_automatic_reply():
    decision = _decide(_message(), on_record=False)
    assert (decision.allowed, decision.rule) == (False, "not-on-record")
    assert decision.reason == "s@student.example.ac.uk is not a student on record: a person replies"


def test_precedence_bulk_never_gets_a_reply_even_as_a_persons_reply():
    message = _message(
        "Precedence: bulk\r\nIn-Reply-To: <earlier@example.ac.uk>\r\n",
        subject="RE: Fwd: Interest in MI-2026-007",
    )
    result = classify(message, own_addresses=OWN_ADDRESSES)
    assert result.kind is Kind.HUMAN and result.doubt
    assert _decide(message, result).rule == "doubt"


@pytest.mark.parametrize(
    "address",
    [
        "business-clinic@example.ac.uk",
        "Business-Clinic@EXAMPLE.ac.uk",
        "business-clinic+ack@example.ac.uk",
        '"Someone" <business-clinic@example.ac.uk.>',
    ],
)
def test_our_own_address_in_any_form_is_never_answered(address):
    message = _message(f"Return-Path: <{address.split('<')[-1].strip('>')}>\r\n")
    decision = _decide(message, HUMAN)
    assert not decision.allowed and decision.rule == "loop"


def test_a_display_name_showing_our_address_is_not_answered():
    message = _message(sender='"business-clinic@example.ac.uk" <s@student.example.ac.uk>')
    decision = _decide(message, HUMAN)
    assert decision.rule == "loop"
    assert "shows our own address" in decision.reason


def test_a_fail_for_another_domain_or_below_the_top_does_not_refuse():
    message = _message(
        "Authentication-Results: mx.example.net; dmarc=pass header.from=student.example.ac.uk\r\n"
        "Authentication-Results: mx.example.net; dmarc=fail header.from=student.example.ac.uk\r\n"
    )
    assert _decide(message).allowed
    forwarded = _message(
        "Authentication-Results: mx.example.net; spf=fail smtp.mailfrom=s@student.example.ac.uk;"
        " dkim=pass header.d=student.example.ac.uk\r\n"
    )
    assert _decide(forwarded).allowed


# ----------------------------------------------------------------------- classes of real mail

ARF = b"""\
Return-Path: <>
From: <staff@hotmail.example>
To: <abuse@example.ac.uk>
Subject: complaint about message from 192.0.2.1
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="part1"

--part1
Content-Type: text/plain

This is an email abuse report for an email message received from IP 192.0.2.1.

--part1
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1

--part1
Content-Type: message/rfc822

From: <business-clinic@example.ac.uk>
Subject: Re: MI-2026-007

Hello
--part1--
"""

SES = b"""\
Return-Path: <0100@amazonses.com>
From: AWS Notifications <no-reply@sns.amazonaws.com>
To: business-clinic@example.ac.uk
Subject: AWS Notification Message
x-amz-sns-message-type: Notification
Content-Type: text/plain; charset=UTF-8

{"Type" : "Notification", "Message" : {"notificationType":"Bounce","bounce":{"bounceType":
"Permanent","bouncedRecipients":[{"emailAddress":"gone@example.org","action":"failed"}]}}}
"""


def test_a_complaint_report_is_a_report_not_a_person():
    result = classify(parse_message(ARF))
    assert result.kind is Kind.BOUNCE
    assert result.reason == ("Complaint report: an ARF feedback-loop report, Feedback-Type: abuse.")


def test_an_ses_bounce_notification_names_the_failed_recipient():
    result = classify(parse_message(SES))
    assert result.kind is Kind.BOUNCE
    assert result.failed_recipients == ("gone@example.org",)


@pytest.mark.parametrize(
    "headers",
    [
        "From: mailman@lists.example.org\r\n",
        "From: LISTSERV@listserv.example.edu\r\n",
        "From: sympa@lists.example.fr\r\n",
        "From: students-owner@lists.example.org\r\nX-List-Administrivia: yes\r\n",
    ],
)
def test_list_manager_notices_are_set_aside_as_list_mail(headers):
    raw = (
        headers + "To: business-clinic@example.ac.uk\r\n"
        "Subject: Your message to students awaits moderator approval\r\n\r\n"
        "Your mail to 'students' is being held until the list moderator can review it."
    ).encode()
    result = classify(parse_message(raw))
    assert result.kind is Kind.BULK
    assert result.reason.startswith("Mailing-list manager's notice")


def test_a_forward_by_a_person_with_a_bulk_header_goes_to_a_person():
    raw = (
        b"Return-Path: <s@student.example.ac.uk>\r\nFrom: s@student.example.ac.uk\r\n"
        b"To: business-clinic@example.ac.uk\r\nSubject: RE: Fwd: MI-2026-007\r\n"
        b"Precedence: bulk\r\n\r\nYes please, count me in.\r\n\r\n"
        b"-----Original Message-----\r\nFrom: Careers <careers@example.ac.uk>\r\n"
    )
    result = classify(parse_message(raw))
    assert result.kind is Kind.HUMAN
    assert result.doubt.startswith("A person's reply marked Precedence: bulk")


def test_a_newsletter_with_precedence_bulk_stays_bulk():
    raw = (
        b"From: news@example.org\r\nTo: business-clinic@example.ac.uk\r\n"
        b"Subject: Our March news\r\nPrecedence: bulk\r\n\r\nHello all"
    )
    assert classify(parse_message(raw)).kind is Kind.BULK
