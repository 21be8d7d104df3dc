"""Polling a real Dovecot IMAP server: one poll makes the interest, nothing is lost or
done twice (also when the poll runs twice or is killed halfway)."""

import imaplib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from imap_tools import MailBoxUnencrypted

from microintern.applications.models import ExpressionOfInterest
from microintern.mail.inbound import acknowledge, imap, pipeline, store
from microintern.mail.inbound.enums import MessageState
from microintern.mail.inbound.models import InboundMessage, Mailbox
from microintern.mail.inbound.tasks import poll_mailboxes
from microintern.mail.models import OutboundMessage

from .helpers import eoi, with_attachment

pytestmark = [pytest.mark.imap, pytest.mark.django_db]
CORPUS = Path(__file__).parents[1] / "corpus"


def acks():
    return OutboundMessage.objects.filter(role__in=acknowledge.ACK_ROLES)


def test_a_delivered_email_becomes_an_interest_after_one_poll(dovecot, mailbox, corpus_world):
    raw = eoi()
    dovecot.deliver(raw, sender="a.pereira@student.example.ac.uk")
    result = imap.poll(mailbox)
    assert (result.fetched, result.stored, result.moved, result.error) == (1, 1, 1, "")
    message = InboundMessage.objects.get()
    assert message.state == MessageState.INTEREST_CREATED
    assert message.mailbox == mailbox and message.uid and message.moved_at
    # Exactly the bytes the server holds (IMAP speaks CRLF).
    assert bytes(message.raw).replace(b"\r\n", b"\n").endswith(raw.replace(b"\r\n", b"\n"))
    assert ExpressionOfInterest.objects.count() == 1 and acks().count() == 1
    # Moved with MOVE, not deleted: the processed folder has it, the inbox is empty.
    assert dovecot.folder_count("INBOX") == 0 and dovecot.folder_count("Processed") == 1
    mailbox.refresh_from_db()
    assert (
        mailbox.last_uid == message.uid and mailbox.uidvalidity and mailbox.lease_expires_at is None
    )
    # A second poll finds nothing new and sends nothing.
    again = imap.poll(mailbox)
    assert again.fetched == 0 and acks().count() == 1


def test_received_is_when_the_server_got_it_not_when_we_polled(dovecot, mailbox, corpus_world):
    dovecot.deliver(eoi(), sender="a.pereira@student.example.ac.uk")
    time.sleep(1.5)
    polled_at = timezone.now()
    imap.poll(mailbox)
    message = InboundMessage.objects.get()
    waited = polled_at - message.received_at
    assert timedelta(seconds=1) < waited < timedelta(seconds=10)
    assert message.interest.received_at == message.received_at


def test_a_message_left_in_the_folder_is_not_done_twice(dovecot, mailbox, corpus_world):
    """E.g. a poller that stored and processed but died before MOVE and the cursor."""
    dovecot.deliver(eoi(), sender="a.pereira@student.example.ac.uk")
    with imap.connect(mailbox) as client:
        client.folder.set("INBOX")
        [uid] = client.uids("ALL")
        raw = imap.fetch_raw(client, int(uid))
    stored = store.store_message(raw, mailbox=mailbox, uidvalidity=None, uid=None)
    pipeline.process_message(stored.message.pk)
    result = imap.poll(mailbox)
    assert result.fetched == 1 and result.stored == 0 and result.moved == 1
    assert InboundMessage.objects.count() == 1
    assert ExpressionOfInterest.objects.count() == 1 and acks().count() == 1


def test_other_peoples_deleted_messages_are_not_expunged(dovecot, mailbox, corpus_world):
    dovecot.deliver(b"From: colleague@example.ac.uk\nSubject: draft\n\nkeep me\n")
    with MailBoxUnencrypted("127.0.0.1", dovecot.port).login(
        dovecot.user, dovecot.password, initial_folder="INBOX"
    ) as other:
        [theirs] = other.uids("ALL")
        # A colleague marks it deleted without expunging (imap-tools' flag() would expunge).
        other.client.uid("STORE", theirs, "+FLAGS", "(\\Deleted)")
    dovecot.deliver(eoi(), sender="a.pereira@student.example.ac.uk")
    mailbox.last_uid = int(theirs)
    mailbox.save()
    with imap.connect(mailbox) as client:
        client.folder.set("INBOX")
        mailbox.uidvalidity = int(client.folder.status("INBOX", ["UIDVALIDITY"])["UIDVALIDITY"])
    mailbox.save()
    result = imap.poll(mailbox)
    assert result.moved == 1
    assert dovecot.folder_count("INBOX") == 1  # the colleague's message is still there


def test_a_uidvalidity_change_reads_the_folder_again_without_duplicates(
    dovecot, mailbox, corpus_world
):
    dovecot.deliver(eoi(), sender="a.pereira@student.example.ac.uk")
    imap.poll(mailbox)
    Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=1, last_uid=99)
    with MailBoxUnencrypted("127.0.0.1", dovecot.port).login(
        dovecot.user, dovecot.password, initial_folder="Processed"
    ) as client:
        client.move(client.uids("ALL"), "INBOX")  # someone puts it back
    result = imap.poll(mailbox)
    assert result.fetched == 1 and result.stored == 0
    assert InboundMessage.objects.count() == 1 and acks().count() == 1


def test_the_periodic_job_polls_every_active_mailbox(dovecot, mailbox, corpus_world):
    dovecot.deliver(eoi(), sender="a.pereira@student.example.ac.uk")
    Mailbox.objects.create(name="off", active=False, host="127.0.0.1", username="x", port=1)
    assert poll_mailboxes() == 1  # tasks run at once in tests
    assert InboundMessage.objects.get().state == MessageState.INTEREST_CREATED
    mailbox.refresh_from_db()
    assert mailbox.last_polled_at and not mailbox.last_error


def test_one_poller_per_mailbox(dovecot, mailbox):
    token = imap.acquire_lease(mailbox)
    with pytest.raises(imap.MailboxBusy):
        imap.poll(mailbox)
    assert [str(r) for r in imap.poll_all()] == ["clinic: another poller is running"]
    imap.release_lease(mailbox, token)
    assert imap.poll(mailbox).error == ""


def test_the_corpus_through_imap(dovecot, mailbox, corpus_world):
    paths = sorted(CORPUS.glob("*.eml"))
    for path in paths:
        dovecot.deliver(path.read_bytes(), sender="sender@example.org")
    result = imap.poll(mailbox)
    assert result.fetched == len(paths) and result.error == ""
    states = list(InboundMessage.objects.values_list("state", flat=True))
    assert len(states) == len(paths) and MessageState.STORED not in states
    assert dovecot.folder_count("INBOX") == 0


def test_wrong_password_is_recorded_for_staff(dovecot, mailbox, monkeypatch):
    monkeypatch.setenv(mailbox.secret_env, "wrong")
    result = imap.poll(mailbox)
    assert "AUTHENTICATIONFAILED" in result.error or "failed" in result.error.lower()
    mailbox.refresh_from_db()
    assert mailbox.last_error and mailbox.lease_expires_at is None


SETUP = """
from tests.accounts.factories import StudentFactory
from tests.programme.factories import MicroInternshipFactory
from microintern.mail.inbound.models import Mailbox
MicroInternshipFactory(open_now=True, reference="MI-2026-007")
for i in range({n}):
    StudentFactory(email=f"student{{i}}@example.ac.uk")
Mailbox.objects.create(name="clinic", host="127.0.0.1", port={port}, security="none",
    username="{user}", secret_env="MICROINTERN_TEST_IMAP_PASSWORD")
"""
CHECK = """
import json
from microintern.applications.models import ExpressionOfInterest
from microintern.mail.inbound.models import InboundMessage
from microintern.mail.inbound import acknowledge
from microintern.mail.models import OutboundMessage
print(json.dumps({
    "messages": InboundMessage.objects.count(),
    "states": sorted(set(InboundMessage.objects.values_list("state", flat=True))),
    "interests": ExpressionOfInterest.objects.count(),
    "acks": OutboundMessage.objects.filter(role__in=acknowledge.ACK_ROLES).count(),
    "ack_keys": OutboundMessage.objects.filter(role__in=acknowledge.ACK_ROLES)
        .values("dedupe_key").distinct().count(),
}))
"""


@pytest.mark.slow
def test_fetch_mail_killed_halfway_loses_nothing(dovecot, tmp_path):
    """`fetch_mail` in its own process on a file database, SIGKILLed once the first batch of
    messages is stored (so while it processes them), then run again: every message once, one
    interest and one acknowledgement each, everything moved to Processed."""
    n = pipeline.BATCH_SIZE + 10  # two batches
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MICROINTERN_VAR_DIR": str(tmp_path),
        "INBOUND_LEASE_SECONDS": "2",
        "TASKS_BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "EMAIL_URL": "dummy:",
        "UNIVERSITY_EMAIL_DOMAINS": "example.ac.uk",
    }
    manage = [sys.executable, "-m", "microintern"]

    def run(*args):
        done = subprocess.run([*manage, *args], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    run("migrate", "--no-input", "-v", "0")
    run("shell", "-c", SETUP.format(n=n, port=dovecot.port, user=dovecot.user))
    for i in range(n):
        dovecot.deliver(eoi(sender=f"student{i}@example.ac.uk", body=f"Message {i}: I can come."))
    first = subprocess.Popen(
        [*manage, "fetch_mail", "--mailbox", "clinic"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db = sqlite3.connect(tmp_path / "db.sqlite3", timeout=10)
    deadline = time.monotonic() + 60
    stored = 0
    while stored == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
        stored = db.execute("select count(*) from inbound_inboundmessage").fetchone()[0]
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at = db.execute("select count(*) from inbound_inboundmessage").fetchone()[0]
    db.close()
    assert 1 <= killed_at < n, "the poller should have been killed halfway"
    time.sleep(2.2)  # the killed poller's lease runs out
    run("fetch_mail", "--mailbox", "clinic")
    run("fetch_mail", "--mailbox", "clinic")  # and once more for good measure
    result = json.loads(run("shell", "-c", CHECK).strip().splitlines()[-1])
    assert result == {
        "messages": n,
        "states": [MessageState.INTEREST_CREATED],
        "interests": n,
        "acks": n,
        "ack_keys": n,
    }
    assert dovecot.folder_count("INBOX") == 0
    assert dovecot.folder_count("Processed") == n


def test_an_oversize_message_is_stored_from_its_headers_without_downloading_it(
    dovecot, mailbox, corpus_world, settings, monkeypatch
):
    cap = 1024 * 1024
    settings.MICROINTERN_INBOUND = {**settings.MICROINTERN_INBOUND, "MAX_MESSAGE_BYTES": cap}
    big = with_attachment(eoi(subject="Interest in MI-2026-007, CV attached"), 3 * cap)
    dovecot.deliver(big, sender="a.pereira@student.example.ac.uk")
    dovecot.deliver(
        eoi(sender="l.chen@student.example.ac.uk"), sender="l.chen@student.example.ac.uk"
    )
    received = []  # every byte the IMAP connection reads from the server
    for name in ("read", "readline"):
        original = getattr(imaplib.IMAP4, name)

        def counting(self, *args, _original=original):
            data = _original(self, *args)
            received.append(len(data))
            return data

        monkeypatch.setattr(imaplib.IMAP4, name, counting)
    result = imap.poll(mailbox)
    assert (result.fetched, result.stored, result.moved, result.error) == (2, 2, 2, "")
    assert sum(received) < cap / 4  # the 3 MB message was never downloaded
    message = InboundMessage.objects.get(headers_only=True)
    assert message.size > 3 * cap  # RFC822.SIZE, as the server counts it
    head = message.raw_bytes
    assert head.endswith(b"\r\n\r\n") and b"Subject: Interest in MI-2026-007, CV attached" in head
    assert b"%PDF" not in head
    assert message.state == MessageState.QUARANTINED and message.reason_code == "too_large"
    assert "only its headers were kept (the original is in the mailbox clinic)" in message.reason
    assert message.moved_at and dovecot.folder_count("Processed") == 2
    [answer] = OutboundMessage.objects.filter(role="inbound_refused")
    assert answer.to == "a.pereira@student.example.ac.uk"
    assert ExpressionOfInterest.objects.count() == 1  # the other student's, as usual


def test_fetch_mail_shows_its_progress_on_stderr(dovecot, mailbox, corpus_world, capsys):
    for i in range(60):
        dovecot.deliver(eoi(sender=f"stranger{i}@example.org", subject=f"hello {i}"))
    call_command("fetch_mail", progress_seconds=0)
    out = capsys.readouterr()
    assert out.err.splitlines() == [
        "clinic: 50/60 fetched, 50 stored",
        "clinic: 60/60 fetched, 60 stored",
    ]
    assert out.out.startswith("clinic: 60 fetched, 60 new, 60 moved")
