"""Real-world messages from public collections (tests/mail/corpus/public/, see its README).

Each message's class in expected.csv was decided by a person reading the message, not taken
from our classifier; where the classifier disagrees and no general rule could fix it, the
message is listed in KNOWN_MISSES with the reason, as a strict xfail (so a fix shows up).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest

from microintern.mail.inbound import pipeline, store
from microintern.mail.inbound.classify import classify, spam_verdict
from microintern.mail.inbound.enums import MessageKind, MessageState
from microintern.mail.inbound.models import InboundMessage
from microintern.mail.inbound.parse import ParsedMessage, parse_message
from microintern.mail.inbound.replies import reply_decision
from microintern.mail.models import OutboundMessage
from tests.mail.inbound.conftest import CORPUS_STUDENTS
from tests.mail.inbound.helpers import CORPUS, LOOP_VALUE, OWN_ADDRESSES

PUBLIC = Path(__file__).parents[1] / "corpus" / "public"
MANIFEST = PUBLIC / "expected.csv"
CLASSES = {"bounce", "auto_reply", "bulk", "human", "loop", "quarantined"}
FINAL = set(MessageState.final())

# Messages our classifier gets wrong and no general rule fixes without harming others.
KNOWN_MISSES = {
    # Spam carries no list or bulk header: recognising it is the mail server's spam filter's
    # job. Here it is classified human, so it goes to triage (an unknown sender).
    "bounceparser/spam-bogus-email-in-report.msg": "spam without any bulk header",
    "bounceparser/spam-with-image.msg": "spam without any bulk header",
    "mail-parser/mail_malformed_3": "spam without any bulk header",
    "mail-parser/mail_test_12": "spam without any bulk header",
    "mail-parser/mail_test_17": "phishing without any bulk header",
    "mail-parser/mail_test_8": "spam without any bulk header",
    "mail-parser/mail_test_9": "spam without any bulk header",
    "mailman/bad_email.eml": "spam without any bulk header",
    "cpython-email/msg_36.txt": (
        "an announcement to a group address (To: IETF-Announce:;) with no list header; a "
        "person Bcc'ing a group looks the same"
    ),
    "bounceparser/bluebottle.msg": (
        "challenge-response mail marked only by the vendor's own X-Bluebottle-* headers"
    ),
    "flufl-bounce/simple_20.txt": (
        "the only signs are a subject starting 'RE:' and body text; reading reply subjects "
        "as bounces would set aside people's replies"
    ),
}
# Bounces that name their failed recipient where we do not find it.
KNOWN_RECIPIENT_MISSES = {
    "cpython-email/msg_25.txt": (
        "the boundary parameter is cut off, so the report cannot be split into its parts and "
        "flufl.bounce finds no address in the undivided text"
    ),
    "bounceparser/spam-rejection42.msg": (
        "the report is in a non-standard message/xdelivery-status part and in prose; the "
        "standard message/delivery-status part is missing"
    ),
    "bounceparser/warning-5.msg": (
        "a one-line rejection ('You sent mail to ADDRESS. That's not a valid user here.') with "
        "no report part; flufl.bounce has no detector for it"
    ),
    "bounceparser/novell-with-rhs.msg": (
        "a Novell notice ('undeliverable to the following: ADDRESS (user not found)') that "
        "flufl.bounce has no detector for"
    ),
}


@dataclass(frozen=True)
class Expected:
    path: str
    kind: str
    failed: tuple[str, ...]
    note: str


def manifest() -> list[Expected]:
    with MANIFEST.open(newline="", encoding="utf-8") as fh:
        return [
            Expected(
                row["path"], row["class"], tuple(row["failed_recipients"].split()), row["note"]
            )
            for row in csv.DictReader(fh)
        ]


def messages() -> list[Path]:
    """Every message file (not the README, the manifest, the licences)."""
    skip = {"README.md", "expected.csv", ".gitattributes"}
    return sorted(
        p
        for p in PUBLIC.rglob("*")
        if p.is_file() and p.name not in skip and p.parent.name != "licenses"
    )


def _param(item: Expected, misses: dict[str, str]):
    marks = ()
    if item.path in misses:
        marks = (pytest.mark.xfail(reason=misses[item.path], strict=True),)
    return pytest.param(item, id=item.path, marks=marks)


EXPECTED = manifest()


def _classify(item: Expected):
    result = parse_message((PUBLIC / item.path).read_bytes())
    assert isinstance(result, ParsedMessage), result
    return classify(result, own_addresses=OWN_ADDRESSES, own_loop_header_value=LOOP_VALUE)


def test_the_manifest_lists_every_message_once_with_a_known_class():
    paths = [item.path for item in EXPECTED]
    assert len(paths) == len(set(paths))
    assert set(paths) == {str(p.relative_to(PUBLIC)) for p in messages()}
    assert {item.kind for item in EXPECTED} <= CLASSES
    assert set(KNOWN_MISSES) <= set(paths) and set(KNOWN_RECIPIENT_MISSES) <= set(paths)
    for item in EXPECTED:
        assert not item.failed or item.kind == "bounce", item.path
        assert (PUBLIC / item.path).stat().st_size < 200 * 1024, item.path


def test_the_corpus_is_wide():
    kinds = [item.kind for item in EXPECTED]
    assert kinds.count("bounce") >= 100
    assert kinds.count("auto_reply") >= 5
    assert kinds.count("bulk") >= 5
    assert kinds.count("human") >= 20
    assert len({item.path.split("/")[0] for item in EXPECTED}) >= 5


@pytest.mark.parametrize(
    "item", [_param(item, KNOWN_MISSES) for item in EXPECTED if item.kind != "quarantined"]
)
def test_a_real_message_is_classified_as_a_person_reading_it_would(item):
    result = _classify(item)
    assert result.kind.value == item.kind, f"{item.note}: {result.reason}"


@pytest.mark.parametrize(
    "item",
    [_param(item, KNOWN_RECIPIENT_MISSES) for item in EXPECTED if item.failed],
)
def test_a_bounce_names_the_recipient_that_failed(item):
    result = _classify(item)
    found = {address.lower() for address in result.failed_recipients}
    assert set(item.failed) <= found, result.reason


@pytest.mark.parametrize("item", [_param(item, {}) for item in EXPECTED])
@pytest.mark.django_db
def test_a_real_message_ends_in_one_final_state_and_storing_it_again_changes_nothing(
    corpus_world, item
):
    raw = (PUBLIC / item.path).read_bytes()
    stored = store.store_message(raw, origin=item.path)
    assert stored.created
    state = pipeline.process_message(stored.message.pk)
    message = InboundMessage.objects.get(pk=stored.message.pk)
    assert message.state == state and message.state in FINAL
    assert message.reason and not message.reason.startswith("Processing failed"), message.reason
    assert message.raw_bytes == raw
    if item.kind == "quarantined":
        assert message.state == MessageState.QUARANTINED
    elif item.path not in KNOWN_MISSES:
        assert message.kind == item.kind
    if message.kind and message.kind != MessageKind.HUMAN:
        assert message.state == MessageState.SET_ASIDE and message.interest is None
        assert not OutboundMessage.objects.filter(dedupe_key=f"inbound-ack:{message.pk}").exists()

    reason = message.reason
    again = store.store_message(raw, origin=item.path)
    assert (again.created, again.message.pk) == (False, message.pk)
    assert pipeline.process_message(message.pk) == message.state
    assert InboundMessage.objects.count() == 1
    message.refresh_from_db()
    assert (message.state, message.reason) == (state, reason)


# What parse.py makes of the text (its remaining mistakes on real mail are strict xfails).


def _parsed(path: str) -> ParsedMessage:
    result = parse_message((PUBLIC / path).read_bytes())
    assert isinstance(result, ParsedMessage), result
    return result


@pytest.mark.parametrize(
    ("path", "start"),
    [
        # Undeclared GB2312 bytes in the Subject: read in the body's charset.
        ("flufl-bounce/sina_01.txt", "邮件传输失败！"),
        # GBK text labelled gb2312: read as GB18030, its superset.
        ("mail-parser/mail_test_9", "我把镜头拉近些，你们看看这个是什么"),
        ("mail-parser/mail_test_12", "代开各地增值税发票"),
        ("flufl-bounce/simple_39.txt", "Ваше сообщение не доставлено. Mail failure."),
        ("flufl-bounce/simple_13.txt", "Utilisateur non recensé dans l'annuaire Ademe"),
        ("mail-parser/mail_test_17", "Transferencia Interbancaria Banca en Línea"),
    ],
)
def test_subjects_in_other_charsets_are_decoded(path, start):
    subject = _parsed(path).subject
    assert subject.startswith(start) and "\ufffd" not in subject, subject


TALON = sorted(p.name for p in (PUBLIC / "talon").glob("*.eml"))


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            name,
            marks=pytest.mark.xfail(
                strict=True,
                reason="parse.py's trim_reply keeps Android's Russian attribution line "
                "('02.04.2012 14:20 пользователь \"...\" <...> написал:'), wrapped over two "
                "lines, in the trimmed body",
            ),
        )
        if name == "android.eml"
        else name
        for name in TALON
        if name != "reply-quotations-share-block.eml"
    ],
)
def test_a_reply_is_trimmed_to_what_the_person_wrote(name):
    # talon's own expectation for these fixtures: the reply is "Hello" (signatures go too).
    assert _parsed(f"talon/{name}").body_trimmed == "Hello"


def test_a_long_reply_keeps_its_text_and_drops_the_yahoo_quote():
    trimmed = _parsed("talon/reply-quotations-share-block.eml").body_trimmed
    assert trimmed.startswith("Hi Katharine.") and trimmed.endswith("Joe XXX")
    assert "--- On Wed" not in trimmed and "booking inquiry" not in trimmed


# Who would be answered. In production every message has a Return-Path; many collected ones
# lost it, so they are counted twice: as they are, and with the From address as envelope.
HAND_WRITTEN_CLASS = {
    "bounce": "bounce",
    "ooo": "auto_reply",
    "list": "bulk",
    "bulk": "bulk",
    "loop": "loop",
}


def _everything() -> list[tuple[str, str, bytes]]:
    hand = [
        (p.name, HAND_WRITTEN_CLASS.get(p.name.split("_")[0], "human"), p.read_bytes())
        for p in sorted(CORPUS.glob("*.eml"))
    ]
    public = [(i.path, i.kind, (PUBLIC / i.path).read_bytes()) for i in EXPECTED]
    return hand + public


def acknowledgement_counts(*, envelope_from_sender: bool, all_on_record: bool) -> dict[str, int]:
    """Acknowledgements the decision table allows over the whole corpus, by who gets them.

    A sender is on record when the hand-written corpus's students are (test conftest), or,
    with `all_on_record`, always: that measures the other rules alone."""
    counts = {"messages": 0, "acks": 0, "to_automated": 0, "to_spam_or_forged": 0}
    for _name, kind, raw in _everything():
        parsed = parse_message(raw)
        if not isinstance(parsed, ParsedMessage):
            continue
        counts["messages"] += 1
        envelope = None
        if envelope_from_sender and parsed.return_path is None:
            envelope = parsed.sender or parsed.from_address or ""
        result = classify(parsed, own_addresses=OWN_ADDRESSES, own_loop_header_value=LOOP_VALUE)
        decision = reply_decision(
            parsed,
            result,
            own_addresses=OWN_ADDRESSES,
            envelope_sender=envelope,
            sender_on_record=all_on_record or parsed.sender in STUDENT_ADDRESSES,
        )
        if decision.allowed:
            counts["acks"] += 1
            counts["to_automated"] += kind != "human"
            counts["to_spam_or_forged"] += spam_verdict(parsed) is not None
    return counts


STUDENT_ADDRESSES = {address for address, _name in CORPUS_STUDENTS}


@pytest.mark.parametrize("envelope_from_sender", [False, True])
def test_acknowledgements_go_to_people_only(envelope_from_sender):
    counts = acknowledgement_counts(envelope_from_sender=envelope_from_sender, all_on_record=False)
    assert counts["to_spam_or_forged"] == 0
    assert counts["to_automated"] <= 0.01 * counts["acks"], counts
    assert counts["acks"] >= 5  # the students of the hand-written corpus are answered


def test_without_the_on_record_rule_only_mail_without_any_automatic_sign_is_answered():
    counts = acknowledgement_counts(envelope_from_sender=True, all_on_record=True)
    assert counts["to_spam_or_forged"] == 0
    # Spam and phishing without a verdict or bulk header, challenge-response mail, a list
    # announcement and a reply-shaped bounce (see KNOWN_MISSES): what the on-record rule stops.
    assert counts["to_automated"] <= len(KNOWN_MISSES), counts
