"""Storing and processing many messages together: the same outcomes as one at a time."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from microintern.applications.models import ExpressionOfInterest
from microintern.core.models import ActivityLog
from microintern.mail.inbound import acknowledge, pipeline, store
from microintern.mail.inbound.enums import MessageState
from microintern.mail.inbound.models import InboundMessage
from microintern.mail.models import OutboundMessage

from .helpers import eoi

pytestmark = pytest.mark.django_db

STUDENTS = [
    "a.pereira@student.example.ac.uk",
    "l.chen@student.example.ac.uk",
    "kwame.mensah@student.example.ac.uk",
]


def receive_all(raws, **kwargs) -> list[InboundMessage]:
    stored = store.store_messages([store.Incoming(raw, **kwargs) for raw in raws])
    pipeline.process_messages([s.message.pk for s in stored])
    return [InboundMessage.objects.get(pk=s.message.pk) for s in stored]


def acks():
    return OutboundMessage.objects.filter(role__in=acknowledge.ACK_ROLES)


def test_a_batch_stores_each_message_once_and_flags_a_changed_one(corpus_world):
    before = store.store_message(eoi(message_id="<before@student.example.ac.uk>")).message
    same_id = eoi(message_id="<twice@student.example.ac.uk>")
    stored = store.store_messages(
        [
            store.Incoming(before.raw_bytes),  # stored before: its row, not a new one
            store.Incoming(same_id, origin="first"),
            store.Incoming(same_id, origin="second"),  # the same bytes twice in one batch
            store.Incoming(eoi(message_id="<before@student.example.ac.uk>", body="changed")),
            store.Incoming(b"From: x@example.org\r\n\r\nno Message-ID\r\n"),
        ]
    )
    assert [s.created for s in stored] == [False, True, False, True, True]
    assert stored[0].message == before
    assert stored[2].message == stored[1].message and stored[1].message.origin == "first"
    assert stored[3].message.conflicts_with == before
    assert stored[4].message.dedupe_key.startswith("import:sha:")
    assert InboundMessage.objects.count() == 4
    logged = ActivityLog.objects.filter(action="inbound.stored")
    assert sorted(int(pk) for pk in logged.values_list("object_id", flat=True)) == sorted(
        InboundMessage.objects.values_list("pk", flat=True)
    )
    assert all(row.raw_bytes for row in InboundMessage.objects.all())


def test_a_batch_ends_like_messages_one_at_a_time(corpus_world):
    students, mi = corpus_world
    raws = [eoi(sender=address) for address in STUDENTS]
    raws.append(eoi(sender="stranger@example.org"))
    raws.append(eoi(sender=STUDENTS[0], body="Also: I can come any day."))
    messages = receive_all(raws)
    assert [m.state for m in messages] == [
        MessageState.INTEREST_CREATED,
        MessageState.INTEREST_CREATED,
        MessageState.INTEREST_CREATED,
        MessageState.TRIAGE,
        MessageState.INTEREST_UPDATED,
    ]
    assert messages[4].interest == messages[0].interest
    assert ExpressionOfInterest.objects.count() == 3
    # The stranger is not a student on record: a person replies, not the system.
    assert sorted(acks().values_list("to", flat=True)) == sorted([*STUDENTS, STUDENTS[0]])
    for message in messages:
        actions = set(
            ActivityLog.objects.filter(object_id=str(message.pk)).values_list("action", flat=True)
        )
        assert {"inbound.stored", "inbound.classified", f"inbound.{message.state}"} <= actions
    # Processing the batch again changes nothing.
    again = pipeline.process_messages([m.pk for m in messages])
    assert again == {m.pk: MessageState(m.state) for m in messages}
    assert acks().count() == 4 and ExpressionOfInterest.objects.count() == 3


def test_the_daily_limit_counts_acknowledgements_earlier_in_the_same_batch(corpus_world):
    raws = [eoi(subject=f"question {i}", body="What is a micro-internship?") for i in range(5)]
    messages = receive_all(raws)
    assert acks().count() == 3
    assert ["daily limit" in m.acknowledgement_note for m in messages] == [
        False,
        False,
        False,
        True,
        True,
    ]


def test_identical_bytes_twice_in_one_batch_are_one_interest(corpus_world, dovecot_free_mailbox):
    raw = eoi()
    stored = store.store_messages(
        [store.Incoming(raw), store.Incoming(raw, mailbox=dovecot_free_mailbox, uid=7)]
    )
    states = pipeline.process_messages([s.message.pk for s in stored])
    first, second = (InboundMessage.objects.get(pk=s.message.pk) for s in stored)
    assert states[first.pk] == MessageState.INTEREST_CREATED
    assert second.state == MessageState.SET_ASIDE and f"#{first.pk}" in second.reason
    assert acks().count() == 1


def test_an_error_in_one_message_sends_only_that_one_to_triage(corpus_world, monkeypatch):
    real = pipeline.find_micro_internship

    def broken_for_chen(parsed, *args, **kwargs):
        if parsed.from_address.startswith("l.chen"):
            raise RuntimeError("database hiccup")
        return real(parsed, *args, **kwargs)

    monkeypatch.setattr(pipeline, "find_micro_internship", broken_for_chen)
    messages = receive_all([eoi(sender=address) for address in STUDENTS])
    assert [m.state for m in messages] == [
        MessageState.INTEREST_CREATED,
        MessageState.TRIAGE,
        MessageState.INTEREST_CREATED,
    ]
    assert "RuntimeError" in messages[1].parse_error
    # The failed batch left nothing behind: one interest and one acknowledgement for each of
    # the others (the failed one waits for a person, unacknowledged, as on its own).
    assert ExpressionOfInterest.objects.count() == 2
    assert sorted(acks().values_list("to", flat=True)) == [STUDENTS[0], STUDENTS[2]]


def test_batches_are_bounded_by_count_and_by_size():
    small = [store.Incoming(b"x" * 10) for _ in range(pipeline.BATCH_SIZE + 1)]
    assert [len(b) for b in pipeline.batches(small)] == [pipeline.BATCH_SIZE, 1]
    big = pipeline.BATCH_BYTES // 2 + 1
    large = [store.Incoming(b"x" * big) for _ in range(3)]
    assert [len(b) for b in pipeline.batches(large)] == [1, 1, 1]
    huge = [store.Incoming(b"x" * (pipeline.BATCH_BYTES + 1)), store.Incoming(b"y")]
    assert [len(b) for b in pipeline.batches(huge)] == [1, 1]


def test_process_pending_takes_every_stored_message_in_batches(corpus_world, monkeypatch):
    monkeypatch.setattr(pipeline, "BATCH_SIZE", 2)
    for i in range(5):
        store.store_message(eoi(subject=f"Interest in MI-2026-007 ({i})"))
    assert pipeline.process_pending() == 5
    assert not InboundMessage.objects.filter(state=MessageState.STORED).exists()
    assert InboundMessage.objects.filter(state=MessageState.INTEREST_CREATED).count() == 1
    assert InboundMessage.objects.filter(state=MessageState.INTEREST_UPDATED).count() == 4


def test_a_batch_holds_one_message_s_bytes_at_a_time(corpus_world, monkeypatch):
    # Rows are locked without their bytes; each message's bytes are read when it is opened
    # and not kept on the row, so a batch of large messages is not held whole.
    raws = [eoi(sender=address) for address in STUDENTS]
    stored = store.store_messages([store.Incoming(raw) for raw in raws])
    rows = []
    locked = pipeline.lifecycle.lock_messages

    def recording(ids):
        found = locked(ids)
        rows.extend(found)
        return found

    monkeypatch.setattr(pipeline.lifecycle, "lock_messages", recording)
    states = pipeline.process_messages([s.message.pk for s in stored])
    assert set(states.values()) == {MessageState.INTEREST_CREATED}
    assert len(rows) == 3
    assert all("raw" in row.get_deferred_fields() for row in rows)


def _raw_reads(queries) -> list[str]:
    return [q["sql"] for q in queries if '"raw"' in q["sql"] and q["sql"].startswith("SELECT")]


def test_stored_bytes_are_read_in_groups_and_a_large_message_on_its_own(corpus_world, monkeypatch):
    raws = [eoi(sender=STUDENTS[n % 3], message_id=f"<m{n}@example.org>") for n in range(8)]
    stored = store.store_messages([store.Incoming(raw) for raw in raws])
    with CaptureQueriesContext(connection) as small:
        pipeline.process_messages([s.message.pk for s in stored])
    assert len(_raw_reads(small.captured_queries)) == 1  # eight small messages, one read
    # With groups of 100 bytes, each of these messages (larger) is read on its own.
    monkeypatch.setattr(pipeline, "RAW_READ_BYTES", 100)
    raws = [eoi(sender=STUDENTS[n % 3], message_id=f"<big{n}@example.org>") for n in range(3)]
    assert all(len(raw) > 100 for raw in raws)
    stored = store.store_messages([store.Incoming(raw) for raw in raws])
    with CaptureQueriesContext(connection) as large:
        done = pipeline.process_messages([s.message.pk for s in stored])
    assert len(_raw_reads(large.captured_queries)) == 3
    assert len(done) == 3 and MessageState.QUARANTINED not in done.values()
