"""Classification of inbound mail, RFC 3834 acknowledgement rules and DMARC trust."""

from __future__ import annotations

import pytest

from microintern.mail.inbound.classify import (
    Classification,
    Kind,
    classify,
    dmarc_pass_from_own_server,
    parse_authentication_results,
)
from microintern.mail.inbound.parse import ParsedMessage, parse_message
from microintern.mail.inbound.replies import auto_reply_decision

from .helpers import LOOP_VALUE, OWN_ADDRESSES, corpus_files, parsed


def _allowed(message, result, **kwargs) -> bool:
    return auto_reply_decision(message, result, **kwargs)[0]


def _classify(message: ParsedMessage) -> Classification:
    return classify(message, own_addresses=OWN_ADDRESSES, own_loop_header_value=LOOP_VALUE)


def _message(headers: str, body: str = "I am interested in MI-2026-007.") -> ParsedMessage:
    base = (
        "From: Student <s@student.example.ac.uk>\r\n"
        "To: business-clinic@example.ac.uk\r\n"
        "Message-ID: <t@student.example.ac.uk>\r\n"
    )
    result = parse_message((base + headers + "\r\n" + body).encode())
    assert isinstance(result, ParsedMessage)
    return result


# What a staff member sees for each corpus message: the class and the stated reason.
EXPECTED = {
    "bounce_postfix.eml": (
        Kind.BOUNCE,
        "Bounce or delivery report: it is a delivery-status report; it is from "
        "MAILER-DAEMON@mx1.example.ac.uk; it has a null sender and a delivery-failure subject; "
        "delivery failed for a.pereira@student.example.ac.uk.",
    ),
    "bounce_exim.eml": (
        Kind.BOUNCE,
        "Bounce or delivery report: it is from Mailer-Daemon@mail.hostco.example; it has a "
        "null sender and a delivery-failure subject; delivery failed for j.smith@hostco.example.",
    ),
    "bounce_office365_ndr.eml": (
        Kind.BOUNCE,
        "Bounce or delivery report: it is a delivery-status report; it has a null sender and a "
        "delivery-failure subject; delivery failed for b.okafor@student.example.ac.uk.",
    ),
    "bounce_gmail.eml": (
        Kind.BOUNCE,
        "Bounce or delivery report: it is a delivery-status report; it is from "
        "mailer-daemon@googlemail.com; it has a null sender and a delivery-failure subject; "
        "delivery failed for chloe.nonexistent.2026@gmail.com.",
    ),
    "bounce_delayed_dsn.eml": (
        Kind.BOUNCE,
        "Bounce or delivery report: it is a delivery-status report; it is from "
        "MAILER-DAEMON@mx1.example.ac.uk; delivery delayed for info@smallcharity.example.",
    ),
    "ooo_english_gmail_vacation.eml": (
        Kind.AUTO_REPLY,
        "Automatic reply: Auto-Submitted: auto-replied.",
    ),
    "ooo_german_subject_only.eml": (
        Kind.AUTO_REPLY,
        'Automatic reply: the subject begins "Abwesenheitsnotiz".',
    ),
    "ooo_french_encoded_subject.eml": (
        Kind.AUTO_REPLY,
        'Automatic reply: the subject begins "Réponse automatique".',
    ),
    "ooo_spanish_x_autorespond.eml": (
        Kind.AUTO_REPLY,
        "Automatic reply: X-Autorespond: Respuesta automatica.",
    ),
    "ooo_dutch_subject.eml": (
        Kind.AUTO_REPLY,
        'Automatic reply: the subject begins "Automatisch antwoord".',
    ),
    "ooo_italian_subject.eml": (
        Kind.AUTO_REPLY,
        'Automatic reply: the subject begins "Risposta automatica".',
    ),
    "ooo_swedish_subject.eml": (Kind.AUTO_REPLY, 'Automatic reply: the subject begins "Autosvar".'),
    "ooo_portuguese_precedence.eml": (Kind.AUTO_REPLY, "Automatic reply: Precedence: auto_reply."),
    "ooo_outlook_exchange.eml": (
        Kind.AUTO_REPLY,
        "Automatic reply: Auto-Submitted: auto-generated.",
    ),
    "ooo_outlook_rules_loop_only.eml": (
        Kind.AUTO_REPLY,
        "Automatic reply: X-MS-Exchange-Inbox-Rules-Loop (an Outlook rule or out-of-office).",
    ),
    "ooo_null_return_path_only.eml": (
        Kind.AUTO_REPLY,
        "Automatic reply: the envelope sender is null (Return-Path: <>).",
    ),
    "list_mailman.eml": (
        Kind.BULK,
        "Mailing-list mail: List-Id: Careers news <careers-news.lists.example.ac.uk>.",
    ),
    "bulk_newsletter_list_unsubscribe.eml": (
        Kind.BULK,
        "Bulk mail: it has a List-Unsubscribe header.",
    ),
    "loop_own_acknowledgement.eml": (
        Kind.LOOP,
        "Our own mail came back: it carries our X-Microintern-Loop header.",
    ),
    "loop_from_own_address.eml": (
        Kind.LOOP,
        "Our own mail came back: it is from our own address Business-Clinic@Example.ac.uk.",
    ),
}
HUMAN = "Written by a person: no automatic-mail signs found."


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_classification_as_staff_see_it(path):
    kind, reason = EXPECTED.get(path.name, (Kind.HUMAN, HUMAN))
    result = _classify(parsed(path.name))
    assert (result.kind, result.reason) == (kind, reason)
    assert result.is_human == (kind is Kind.HUMAN)


def test_every_non_human_corpus_file_is_listed():
    names = {path.name for path in corpus_files()}
    assert set(EXPECTED) <= names
    for name in names - set(EXPECTED):
        assert name.startswith(("human_", "broken_", "charset_", "attachment_")), name


@pytest.mark.parametrize(
    ("name", "failed"),
    [
        ("bounce_postfix.eml", ("a.pereira@student.example.ac.uk",)),
        ("bounce_exim.eml", ("j.smith@hostco.example",)),
        ("bounce_office365_ndr.eml", ("b.okafor@student.example.ac.uk",)),
        ("bounce_gmail.eml", ("chloe.nonexistent.2026@gmail.com",)),
        ("bounce_delayed_dsn.eml", ("info@smallcharity.example",)),
    ],
)
def test_bounces_name_the_failed_recipients(name, failed):
    assert _classify(parsed(name)).failed_recipients == failed


def test_bounce_quoting_our_loop_header_is_a_bounce_not_a_loop():
    # The returned original carries our loop header, but only top-level headers count.
    assert _classify(parsed("bounce_gmail.eml")).kind is Kind.BOUNCE


def test_loop_wins_over_everything():
    message = _message(
        "X-Microintern-Loop: example.ac.uk-clinic\r\nAuto-Submitted: auto-replied\r\n"
    )
    assert _classify(message).kind is Kind.LOOP


def test_loop_header_from_another_installation_is_not_ours():
    message = _message("X-Microintern-Loop: other-university\r\n")
    assert _classify(message).kind is Kind.HUMAN


def test_any_loop_header_counts_without_a_configured_value():
    message = _message("X-Microintern-Loop: other-university\r\n")
    assert classify(message).kind is Kind.LOOP


def test_auto_reply_wins_over_bulk():
    message = _message("Auto-Submitted: auto-replied\r\nPrecedence: bulk\r\n")
    assert _classify(message).reason == "Automatic reply: Auto-Submitted: auto-replied."


def test_auto_submitted_no_is_human():
    assert _classify(_message("Auto-Submitted: no\r\n")).kind is Kind.HUMAN


def test_exchange_generated_message_source():
    message = _message("X-MS-Exchange-Generated-Message-Source: AutoReply\r\n")
    result = _classify(message)
    assert result.kind is Kind.AUTO_REPLY
    assert result.reason == "Automatic reply: X-MS-Exchange-Generated-Message-Source: AutoReply."


@pytest.mark.parametrize(
    "subject",
    [
        "Automatic reply: MI-2026-007",
        "RE: Out of Office: MI-2026-007",
        "AW: Abwesenheitsnotiz",
        "=?utf-8?q?R=C3=A9ponse_automatique_:_absent?=",
        "=?utf-8?q?Respuesta_autom=C3=A1tica?=",
        "Autosvar",
        "=?utf-8?q?Resposta_autom=C3=A1tica?=",
        "Automatisch antwoord: afwezig",
    ],
)
def test_auto_reply_subjects(subject):
    assert _classify(_message(f"Subject: {subject}\r\n")).kind is Kind.AUTO_REPLY


@pytest.mark.parametrize(
    "subject",
    [
        "Interest in MI-2026-007 (I work out of office hours)",
        "Question about automatic replies",
        "MI-2026-007",
    ],
)
def test_human_subjects_mentioning_similar_words_stay_human(subject):
    assert _classify(_message(f"Subject: {subject}\r\n")).kind is Kind.HUMAN


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Precedence: junk", "Bulk or list mail: Precedence: junk."),
        ("Precedence: bulk", "Bulk or list mail: Precedence: bulk."),
        ("List-Id: <students.lists.example.ac.uk>", "Mailing-list mail: List-Id: "),
    ],
)
def test_bulk_headers(header, reason):
    result = _classify(_message(header + "\r\n"))
    assert result.kind is Kind.BULK
    assert result.reason.startswith(reason)


def test_a_person_writing_from_postmaster_is_not_a_bounce():
    raw = (
        b"From: Jo Bloggs <postmaster@example.org>\r\nTo: business-clinic@example.ac.uk\r\n"
        b"Subject: Question about MI-2026-007\r\n\r\nHello, I look after our mail server "
        b"and also wanted to ask whether students from our college may take part."
    )
    result = parse_message(raw)
    assert isinstance(result, ParsedMessage)
    assert _classify(result).kind is Kind.HUMAN


def test_postmaster_with_a_bounce_structure_is_a_bounce():
    raw = (
        b"Return-Path: <>\r\nFrom: postmaster@example.org\r\n"
        b"To: business-clinic@example.ac.uk\r\nSubject: Undeliverable: hello\r\n\r\n"
        b"Your message was rejected."
    )
    result = parse_message(raw)
    assert isinstance(result, ParsedMessage)
    assert _classify(result).reason == (
        "Bounce or delivery report: it is from postmaster@example.org; it has a null sender "
        "and a delivery-failure subject."
    )


def _raw(headers: str, body: str = "Your message could not be delivered.") -> ParsedMessage:
    result = parse_message((headers + "\r\n" + body).encode())
    assert isinstance(result, ParsedMessage)
    return result


# Rules found by the real-world messages in tests/mail/corpus/public (the file names say which).


@pytest.mark.parametrize(
    "subject",
    [
        "[Automatyczna =?iso-8859-2?Q?odpowied=BC?=] test",  # bounceparser/polish-autoreply
        "AUTO: Smith, John is out of the office. (returning 05/01/2010)",  # warning-6 (Notes)
        "[Auto-Reply] MI-2026-007",
    ],
)
def test_auto_reply_subjects_in_brackets_and_from_lotus_notes(subject):
    assert _classify(_message(f"Subject: {subject}\r\n")).kind is Kind.AUTO_REPLY


@pytest.mark.parametrize(
    ("from_", "sign"),
    [
        # cpython-email/msg_42, flufl-bounce/simple_38: sendmail's name for itself
        (
            "Mail Delivery Subsystem <admin@mail.example.org>",
            'it is from "Mail Delivery Subsystem"',
        ),
        # flufl-bounce/bounce_01 (JetMail), bounceparser/warning-5 (an Exim autoreply)
        ('"Jetmail System" <>', "its From address is null (<>)"),
        ("<>", "its From address is null (<>)"),
        # flufl-bounce/simple_01 and simple_27: MDaemon's own sender
        ("MDaemon@mail.example.org", "it is from MDaemon@mail.example.org"),
    ],
)
def test_mail_system_senders_are_bounces(from_, sign):
    result = _classify(_raw(f"From: {from_}\r\nTo: business-clinic@example.ac.uk\r\n"))
    assert result.kind is Kind.BOUNCE
    assert result.reason == f"Bounce or delivery report: {sign}."


def test_a_person_named_like_a_mail_system_only_in_part_is_human():
    message = _raw("From: Mail Delivery Team Lead <lead@charity.example>\r\n", "Hello MI-2026-007")
    assert _classify(message).kind is Kind.HUMAN


def test_an_address_the_header_parser_cannot_read_is_not_a_null_from():
    # flufl-bounce/simple_35: the decoded From shows "<>", the raw header has an address.
    message = _raw("From: <Postmaster\\@example.com@mail.example.org>\r\n", "Hello")
    assert message.header("From") == "<>"
    assert _classify(message).kind is Kind.HUMAN


RETURNED = (
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/mixed; boundary="b"\r\n'
    "Subject: {subject}\r\n"
    "\r\n--b\r\nContent-Type: text/plain\r\n\r\n{text}\r\n"
    "--b\r\nContent-Type: message/rfc822\r\n\r\n"
    "From: Business Clinic <business-clinic@example.ac.uk>\r\nSubject: Hello\r\n\r\nHi\r\n"
    "--b--\r\n"
)


def test_a_failure_subject_returning_the_message_is_a_bounce():
    # flufl-bounce/simple_43 and dumbass_01: no DSN, no address flufl.bounce can find.
    headers = "From: ndr@mail.example.org\r\nReturn-Path: <ndr@mail.example.org>\r\n"
    subject_only = _raw(headers + "Subject: Mail could not be delivered\r\n", "Sorry.")
    assert _classify(subject_only).kind is Kind.HUMAN  # the subject alone is not enough
    body = RETURNED.format(subject="Mail could not be delivered", text="Not delivered.")
    assert _classify(parse_message((headers + body).encode())).reason == (
        "Bounce or delivery report: it has a delivery-failure subject and returns the original "
        "message."
    )


def test_a_person_forwarding_a_bounce_is_human():
    headers = "From: Ana <a.pereira@student.example.ac.uk>\r\n"
    body = RETURNED.format(
        subject="Fwd: Mail delivery failed: returning message to sender",
        text="My email to you bounced; I am interested in MI-2026-007.",
    )
    assert _classify(parse_message((headers + body).encode())).kind is Kind.HUMAN


@pytest.mark.parametrize(
    "header",
    [
        "From: ppp-request@lists.example.org\r\nSender: ppp-admin@lists.example.org",
        "From: Owner <owner-students@lists.example.org>",
        "From: Digest <students-bounces@lists.example.org>",
    ],
)
def test_mail_from_a_lists_own_address_is_bulk(header):
    # cpython-email/msg_02: a Mailman 2 digest with no List-Id or Precedence header.
    result = _classify(_raw(header + "\r\nSubject: Ppp digest, Vol 1 #2\r\n", "Topics"))
    assert result.kind is Kind.BULK
    assert result.reason.startswith("Mailing-list mail: it is sent by the list's own address")


def _dsn(per_recipient: str) -> ParsedMessage:
    return _raw(
        "From: noreply@filter.example\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n',
        "--r\r\nContent-Type: text/plain\r\n\r\nHeld.\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; filter.example\r\n\r\n" + per_recipient + "\r\n--r--\r\n",
    )


@pytest.mark.parametrize(
    ("fields", "failed"),
    [
        # bounceparser/boxbe-cr: no Action; the status class (4.x.x, 5.x.x) decides
        ("Final-Recipient: rfc822; held@example.net\r\nStatus: 4.7.0\r\n", ("held@example.net",)),
        # bounceparser/warning-3: an Original-Recipient that is not an address
        (
            "Final-Recipient: rfc822; 1@mx.example.net\r\nOriginal-Recipient: rfc822; 1\r\n"
            "Action: failed\r\nStatus: 5.0.0\r\n",
            ("1@mx.example.net",),
        ),
        # The original address is the one we sent to.
        (
            "Final-Recipient: rfc822; final@example.net\r\n"
            "Original-Recipient: rfc822; original@example.net\r\nAction: failed\r\n",
            ("original@example.net",),
        ),
        ("Final-Recipient: rfc822; ok@example.net\r\nAction: delivered\r\n", ()),
    ],
)
def test_failed_recipients_are_read_from_the_delivery_status(fields, failed):
    result = _classify(_dsn(fields))
    assert result.kind is Kind.BOUNCE
    assert result.failed_recipients == failed


# ------------------------------------------------------------------------------ RFC 3834


def test_human_mail_with_envelope_sender_may_be_acknowledged():
    message = parsed("human_plain_eoi.eml")
    result = _classify(message)
    assert _allowed(message, result, own_addresses=OWN_ADDRESSES, sender_on_record=True)
    assert auto_reply_decision(message, result, sender_on_record=True) == (
        True,
        "acknowledge to a.pereira@student.example.ac.uk",
    )


@pytest.mark.parametrize(
    "name",
    ["ooo_english_gmail_vacation.eml", "bounce_postfix.eml", "list_mailman.eml"],
)
def test_automatic_mail_is_never_acknowledged(name):
    message = parsed(name)
    allowed, reason = auto_reply_decision(message, _classify(message))
    assert not allowed
    assert reason.startswith("not human mail")


def test_no_return_path_means_no_acknowledgement():
    message = _message("")
    assert auto_reply_decision(message, _classify(message)) == (
        False,
        "the envelope sender is unknown (no Return-Path)",
    )


def test_envelope_sender_given_by_the_caller_is_used():
    message = _message("")
    assert auto_reply_decision(
        message,
        _classify(message),
        envelope_sender="s@student.example.ac.uk",
        sender_on_record=True,
    ) == (True, "acknowledge to s@student.example.ac.uk")


def test_no_acknowledgement_to_our_own_or_automatic_addresses():
    human = Classification(Kind.HUMAN, HUMAN)
    own = _message("Return-Path: <business-clinic@example.ac.uk>\r\n")
    assert not _allowed(own, human, own_addresses=OWN_ADDRESSES)
    noreply = _message("Return-Path: <no-reply@example.org>\r\n")
    assert auto_reply_decision(noreply, human) == (
        False,
        "no-reply@example.org is an automated or role address",
    )
    listbounce = _message("Return-Path: <students-request@lists.example.org>\r\n")
    assert not _allowed(listbounce, human)


# ------------------------------------------------------------------------------ DMARC trust

OWN_SERVER = "mx1.example.ac.uk"


def test_dmarc_pass_recorded_by_our_own_server_counts():
    assert dmarc_pass_from_own_server(parsed("human_plain_eoi.eml"), OWN_SERVER)


def test_dmarc_is_case_insensitive_on_authserv_id():
    assert dmarc_pass_from_own_server(parsed("human_plain_eoi.eml"), "MX1.Example.AC.uk")


def test_other_servers_results_are_ignored():
    assert not dmarc_pass_from_own_server(parsed("human_plain_eoi.eml"), "mx.other.example")


def test_no_authentication_results_means_no_trust():
    assert not dmarc_pass_from_own_server(parsed("human_html_only_eoi.eml"), OWN_SERVER)


def test_forged_header_below_ours_is_ignored():
    message = _message(
        f"Authentication-Results: {OWN_SERVER}; dmarc=fail header.from=student.example.ac.uk\r\n"
        f"Authentication-Results: {OWN_SERVER}; dmarc=pass header.from=student.example.ac.uk\r\n"
    )
    assert not dmarc_pass_from_own_server(message, OWN_SERVER)


def test_pass_for_another_domain_does_not_count():
    message = _message(
        f"Authentication-Results: {OWN_SERVER}; dmarc=pass header.from=evil.test\r\n"
    )
    assert not dmarc_pass_from_own_server(message, OWN_SERVER)


def test_dmarc_pass_inside_a_comment_does_not_count():
    message = _message(
        f"Authentication-Results: {OWN_SERVER}; spf=pass (dmarc=pass "
        "header.from=student.example.ac.uk) smtp.mailfrom=x@evil.test\r\n"
    )
    assert not dmarc_pass_from_own_server(message, OWN_SERVER)


def test_two_from_addresses_are_never_trusted():
    message = _message(
        f"Authentication-Results: {OWN_SERVER}; dmarc=pass header.from=student.example.ac.uk\r\n"
    )
    message = parse_message(
        message.email.as_bytes().replace(
            b"From: Student <s@student.example.ac.uk>",
            b"From: s@student.example.ac.uk, t@student.example.ac.uk",
        )
    )
    assert message.sender is None
    assert not dmarc_pass_from_own_server(message, OWN_SERVER)


def test_microsoft_365_results_without_authserv_id_are_not_trusted():
    message = _message(
        "Authentication-Results: spf=pass (sender IP is 40.107.22.51) "
        "smtp.mailfrom=student.example.ac.uk; dkim=pass (signature was verified) "
        "header.d=student.example.ac.uk;dmarc=pass action=none "
        "header.from=student.example.ac.uk;compauth=pass reason=100\r\n"
    )
    assert not dmarc_pass_from_own_server(message, OWN_SERVER)
    authserv_id, results = parse_authentication_results(message.authentication_results[0])
    assert authserv_id is None
    assert [(r.method, r.result) for r in results] == [
        ("spf", "pass"),
        ("dkim", "pass"),
        ("dmarc", "pass"),
        ("compauth", "pass"),
    ]


def test_parse_authentication_results_with_version_and_nested_comments():
    authserv_id, results = parse_authentication_results(
        'mx1.example.ac.uk 1; dkim=pass (good (really) sig) header.d="example.org"; '
        "dmarc=pass (p=none) header.from=Example.ORG"
    )
    assert authserv_id == "mx1.example.ac.uk"
    assert results[0].properties == {"header.d": "example.org"}
    assert results[1].properties == {"header.from": "example.org"}


def test_flufl_bounce_does_not_fire_on_human_corpus():
    for path in corpus_files():
        if path.name.startswith("human_"):
            assert _classify(parsed(path.name)).failed_recipients == ()


@pytest.mark.parametrize(
    ("header", "verdict"),
    [
        ("X-Spam-Flag: YES", "X-Spam-Flag: YES"),
        ("X-Spam-Status: Yes, score=9.1 required=5.0 tests=GTUBE", "X-Spam-Status: Yes"),
        ("X-MS-Exchange-Organization-SCL: 6", "X-MS-Exchange-Organization-SCL spam confidence"),
        (
            "X-Forefront-Antispam-Report: CIP:192.0.2.1;CTRY:;LANG:en;SCL:9;SRV:;IPV:NLI;",
            "X-Forefront-Antispam-Report spam confidence level 9",
        ),
    ],
)
def test_the_receiving_servers_spam_verdict_sets_mail_aside(header, verdict):
    result = _classify(_message(f"Subject: Interest in MI-2026-007\r\n{header}\r\n"))
    assert result.kind is Kind.BULK
    assert result.reason.startswith("Spam: the receiving mail server marked it as spam (")
    assert verdict in result.reason


@pytest.mark.parametrize(
    "header",
    [
        "X-Spam-Flag: NO",
        "X-Spam-Status: No, score=0.2 required=5.0",
        "X-MS-Exchange-Organization-SCL: 1",
        "X-MS-Exchange-Organization-SCL: -1",  # Exchange: trusted sender
        "X-Forefront-Antispam-Report: CIP:192.0.2.1;SCL:4;SRV:;",
        "X-MS-Exchange-Organization-SCL: unknown",
    ],
)
def test_a_not_spam_verdict_leaves_a_person_human(header):
    assert _classify(_message(f"Subject: Interest\r\n{header}\r\n")).kind is Kind.HUMAN


@pytest.mark.parametrize(
    "subject", ["Auto: car mechanics and MI-2026-007", "AUTO: the automotive challenge"]
)
def test_a_subject_beginning_auto_is_human_without_the_out_of_office_phrase(subject):
    assert _classify(_message(f"Subject: {subject}\r\n")).kind is Kind.HUMAN


OWN_SERVER = "mx1.example.ac.uk"


@pytest.mark.parametrize(
    ("results", "refused"),
    [
        (
            f"{OWN_SERVER}; dmarc=fail header.from=student.example.ac.uk",
            "the sender failed authentication at our mail server (dmarc=fail)",
        ),
        (
            f"{OWN_SERVER}; spf=fail smtp.mailfrom=student.example.ac.uk; dkim=none",
            "the sender failed authentication at our mail server "
            "(spf=fail and no valid DKIM signature)",
        ),
        # A fail recorded by the nearest hop, whoever it is: replying could only reach a
        # forged sender, and a forged "fail" costs only its forger a reply.
        (
            "evil.example; dmarc=fail header.from=student.example.ac.uk",
            "dmarc=fail for student.example.ac.uk",
        ),
        (
            "mx.other.example; dkim=fail header.d=student.example.ac.uk",
            "dkim=fail for student.example.ac.uk",
        ),
    ],
)
def test_no_acknowledgement_to_a_sender_our_server_found_forged(results, refused):
    message = _message(
        f"Return-Path: <s@student.example.ac.uk>\r\nAuthentication-Results: {results}\r\n"
    )
    allowed, why = auto_reply_decision(
        message, _classify(message), own_addresses=OWN_ADDRESSES, trusted_authserv_id=OWN_SERVER
    )
    assert not allowed
    assert why == refused


@pytest.mark.parametrize(
    "results",
    [
        # A forwarded message breaks SPF, but its DKIM signature still holds.
        f"{OWN_SERVER}; spf=fail smtp.mailfrom=student.example.ac.uk; dkim=pass header.d=x",
        # A fail for another domain is not the sender's.
        "evil.example; dmarc=fail header.from=other.example",
        f"{OWN_SERVER}; dmarc=pass header.from=student.example.ac.uk",
    ],
)
def test_acknowledgement_when_our_server_did_not_find_the_sender_forged(results):
    message = _message(
        f"Return-Path: <s@student.example.ac.uk>\r\nAuthentication-Results: {results}\r\n"
    )
    allowed, _why = auto_reply_decision(
        message,
        _classify(message),
        own_addresses=OWN_ADDRESSES,
        trusted_authserv_id=OWN_SERVER,
        sender_on_record=True,
    )
    assert allowed
