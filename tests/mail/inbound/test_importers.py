"""`python -m microintern import_mail PATH`: Maildir, mbox and .eml files, idempotent."""

import hashlib
import mailbox
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from microintern.applications.models import ExpressionOfInterest
from microintern.mail.inbound import acknowledge, refusal
from microintern.mail.inbound.enums import MessageState, ReasonCode
from microintern.mail.inbound.models import InboundMessage
from microintern.mail.models import OutboundMessage

from .helpers import eoi, with_attachment

pytestmark = pytest.mark.django_db
CORPUS = Path(__file__).parents[1] / "corpus"


def import_twice(path, capsys) -> tuple[str, str]:
    call_command("import_mail", str(path))
    first = capsys.readouterr().out
    call_command("import_mail", str(path))
    return first, capsys.readouterr().out


def test_a_folder_of_eml_files(corpus_world, tmp_path, capsys):
    # The hand-written corpus only: public/ holds the real-world collections, tested on
    # their own in test_public_corpus.py.
    shutil.copytree(CORPUS, tmp_path / "corpus", ignore=shutil.ignore_patterns("public"))
    first, second = import_twice(tmp_path / "corpus", capsys)
    n = len(list(CORPUS.glob("*.eml")))
    assert f"stored: {n}" in first
    assert f"already: {n}" in second and "stored" not in second
    assert InboundMessage.objects.count() == n
    assert not InboundMessage.objects.filter(state=MessageState.STORED).exists()
    assert OutboundMessage.objects.filter(role__in=acknowledge.ACK_ROLES).count() == (
        InboundMessage.objects.exclude(acknowledgement_note__startswith="Not")
        .filter(acknowledgement_note__startswith="Acknowledged")
        .count()
    )


def test_an_mbox_keeps_each_message_without_the_separator_line(corpus_world, tmp_path, capsys):
    raws = [eoi(), eoi(sender="l.chen@student.example.ac.uk")]
    box = mailbox.mbox(tmp_path / "mail.mbox")
    for raw in raws:
        box.add(raw)
    box.flush()
    box.close()
    first, second = import_twice(tmp_path / "mail.mbox", capsys)
    assert "stored: 2" in first and "already: 2" in second
    assert ExpressionOfInterest.objects.count() == 2
    for message in InboundMessage.objects.all():
        assert not bytes(message.raw).startswith(b"From ")
        assert message.raw_bytes.split(b"\n\n")[0].count(b"Message-ID") == 1


def test_a_maildir(corpus_world, tmp_path, capsys):
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    raw = eoi()
    box.add(raw)
    first, second = import_twice(tmp_path / "Maildir", capsys)
    assert "stored: 1" in first and "already: 1" in second
    message = InboundMessage.objects.get()
    assert message.raw_bytes == raw  # exactly the bytes of the file
    assert message.state == MessageState.INTEREST_CREATED


def test_a_single_eml_file(corpus_world, tmp_path, capsys):
    path = tmp_path / "one.eml"
    path.write_bytes((CORPUS / "bounce_postfix.eml").read_bytes())
    first, _second = import_twice(path, capsys)
    assert "set_aside: 1" in first
    assert InboundMessage.objects.get().kind == "bounce"


# Size limit and progress ---------------------------------------------------------------------

MB = 1024 * 1024


@pytest.fixture
def small_cap(settings):
    """A 1 MB size limit, so an "oversize" message is quick to build."""
    settings.MICROINTERN_INBOUND = {**settings.MICROINTERN_INBOUND, "MAX_MESSAGE_BYTES": MB}
    return MB


def refusals():
    return OutboundMessage.objects.filter(role=refusal.REFUSAL_ROLE)


def test_an_oversize_file_keeps_its_headers_size_hash_and_reason(
    corpus_world, small_cap, tmp_path, capsys
):
    raw = with_attachment(eoi(subject="Interest in MI-2026-007, CV attached"), 3 * MB)
    path = tmp_path / "big.eml"
    path.write_bytes(raw)
    call_command("import_mail", str(path))
    message = InboundMessage.objects.get()
    assert message.headers_only and message.size == len(raw) > 3 * MB
    assert message.raw_bytes == raw[: raw.index(b"\n\n") + 2]  # the header block, exactly
    assert message.sha256 == hashlib.sha256(raw).hexdigest()  # of the whole file
    assert message.state == MessageState.QUARANTINED
    assert message.reason_code == ReasonCode.TOO_LARGE
    assert "over the limit of 1.0 MB for storing mail: only its headers were kept" in (
        message.reason
    )
    assert str(path) in message.reason  # where the original still is
    assert ExpressionOfInterest.objects.count() == 0
    # Importing it again changes nothing and answers nobody twice.
    call_command("import_mail", str(path))
    assert InboundMessage.objects.count() == 1 and refusals().count() == 1


def test_a_person_whose_message_was_too_large_is_told_what_to_send_instead(
    corpus_world, small_cap, tmp_path
):
    path = tmp_path / "big.eml"
    path.write_bytes(with_attachment(eoi(), 2 * MB))
    call_command("import_mail", str(path))
    [answer] = refusals()
    assert answer.to == "a.pereira@student.example.ac.uk"
    assert "we could not open it" in answer.subject
    body = " ".join(answer.body.split())
    assert "nobody has read it yet and nothing in it has been recorded" in body
    assert "as plain text written in the email itself, without attachments, under 10.0 MB" in body
    assert answer.headers["Auto-Submitted"] == "auto-replied"
    message = InboundMessage.objects.get()
    assert message.acknowledgement_note.startswith("Told a.pereira@student.example.ac.uk")
    assert not OutboundMessage.objects.filter(role=acknowledge.ACK_ROLE).exists()


def test_a_message_of_too_many_parts_from_a_person_is_answered_too(corpus_world, tmp_path):
    parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\npart\r\n" for _ in range(150))
    raw = (
        b"Return-Path: <l.chen@student.example.ac.uk>\r\nFrom: l.chen@student.example.ac.uk\r\n"
        b"Subject: MI-2026-007\r\nMessage-ID: <parts@student.example.ac.uk>\r\n"
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + parts + b"--b--\r\n"
    )
    (tmp_path / "parts.eml").write_bytes(raw)
    call_command("import_mail", str(tmp_path / "parts.eml"))
    message = InboundMessage.objects.get()
    assert (message.state, message.reason_code) == ("quarantined", ReasonCode.TOO_MANY_PARTS)
    [answer] = refusals()
    assert answer.to == "l.chen@student.example.ac.uk"
    assert "built in a way we cannot open safely" in " ".join(answer.body.split())


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (  # a bounce: the null envelope sender
            b"Return-Path: <>\r\nFrom: MAILER-DAEMON@example.org\r\nSubject: Undelivered\r\n"
            b"Message-ID: <b@example.org>\r\n\r\n" + b"x" * (2 * MB) + b"\r\n",
            "Not answered: ",
        ),
        (  # a list's mail
            b"Return-Path: <news@example.org>\r\nFrom: news@example.org\r\nList-Id: <n.example>"
            b"\r\nSubject: News\r\nMessage-ID: <n@example.org>\r\n\r\n" + b"x" * (2 * MB) + b"\r\n",
            "Not answered: not human mail (bulk)",
        ),
        (  # a header we refuse to read: nothing in it can be trusted
            b"Return-Path: <a.pereira@student.example.ac.uk>\r\nFrom: a.pereira@student."
            b"example.ac.uk\r\nSubject: " + b"A" * 300_000 + b"\r\n\r\nhello\r\n",
            "Not answered: its headers could not be read safely.",
        ),
    ],
)
def test_refused_machine_mail_and_unreadable_headers_get_no_answer(
    corpus_world, small_cap, tmp_path, raw, why
):
    (tmp_path / "m.eml").write_bytes(raw)
    call_command("import_mail", str(tmp_path / "m.eml"))
    message = InboundMessage.objects.get()
    assert message.state == MessageState.QUARANTINED
    assert message.acknowledgement_note.startswith(why)
    assert not refusals().exists()


def test_an_oversize_message_in_an_mbox_and_a_maildir(corpus_world, small_cap, tmp_path):
    big = with_attachment(eoi(subject="big one"), 2 * MB)
    small = eoi(sender="l.chen@student.example.ac.uk")
    box = mailbox.mbox(tmp_path / "mail.mbox")
    for raw in (small, big):
        box.add(raw)
    box.flush()
    box.close()
    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    maildir.add(big.replace(b"big one", b"big two"))
    for path in ("mail.mbox", "Maildir"):
        call_command("import_mail", str(tmp_path / path))
    big_rows = InboundMessage.objects.filter(headers_only=True)
    assert big_rows.count() == 2 and {m.size for m in big_rows} == {len(big)}
    for m in big_rows:  # the header block, without mbox's "From " line
        assert not m.raw_bytes.startswith(b"From ") and m.raw_bytes.endswith(b"\n\n")
        assert m.sha256 != hashlib.sha256(m.raw_bytes).hexdigest()  # of the whole message
    assert ExpressionOfInterest.objects.count() == 1  # the small one


def test_a_long_import_shows_its_progress_on_stderr(corpus_world, tmp_path, capsys):
    for i in range(120):
        (tmp_path / f"{i:03}.eml").write_bytes(
            eoi(sender=f"stranger{i}@example.org", subject=f"hello {i}")
        )
    call_command("import_mail", str(tmp_path), progress_seconds=0)
    out = capsys.readouterr()
    # Batches of 50: a line after each, to stderr (stdout keeps the summary).
    assert out.err.splitlines() == [
        "50/120 read: 50 stored, 0 stored before",
        "100/120 read: 100 stored, 0 stored before",
        "120/120 read: 120 stored, 0 stored before",
    ]
    assert "stored: 120" in out.out and "/120" not in out.out
    call_command("import_mail", str(tmp_path))  # the default: the last line at least
    assert capsys.readouterr().err.splitlines()[-1] == "120/120 read: 0 stored, 120 stored before"
