"""`python -m microintern import_mail PATH`: Maildir, mbox and .eml files, idempotent."""

import mailbox
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from microintern.applications.models import ExpressionOfInterest
from microintern.mail.inbound import acknowledge
from microintern.mail.inbound.enums import MessageState
from microintern.mail.inbound.models import InboundMessage
from microintern.mail.models import OutboundMessage

from .helpers import eoi

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
