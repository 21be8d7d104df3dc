"""Inbound-mail test helpers: the hand-written corpus (tests/mail/corpus) and messages
built for a test."""

from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from django.utils import timezone

from microintern.mail.inbound.parse import ParsedMessage, parse_message

CORPUS = Path(__file__).parents[1] / "corpus"  # tests/mail/corpus
OWN_ADDRESSES = ("business-clinic@example.ac.uk",)
LOOP_VALUE = "example.ac.uk-clinic"


def corpus_files() -> list[Path]:
    """Every .eml file in the corpus, sorted by name."""
    return sorted(CORPUS.glob("*.eml"))


def load(name: str) -> bytes:
    """The raw bytes of one corpus message."""
    return (CORPUS / name).read_bytes()


def parsed(name: str) -> ParsedMessage:
    """Parse a corpus message, failing the test if it was quarantined."""
    result = parse_message(load(name))
    assert isinstance(result, ParsedMessage), result
    return result


def eoi(
    *,
    sender: str = "a.pereira@student.example.ac.uk",
    envelope: str | None = None,
    subject: str = "Interest in MI-2026-007",
    body: str = "Hello,\n\nI would like to take part: I look after my brother most afternoons.\n\n"
    "Best wishes,\nAna",
    message_id: str | None = None,
    headers: dict | None = None,
) -> bytes:
    message = EmailMessage()
    message["Return-Path"] = f"<{envelope if envelope is not None else sender}>"
    message["From"] = sender
    message["To"] = "business-clinic@example.ac.uk"
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="student.example.ac.uk")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


def with_attachment(raw: bytes, size: int) -> bytes:
    """`raw` (a message from `eoi`) with a PDF-like attachment of about `size` bytes,
    base64-encoded as mail programs send it."""
    message = message_from_bytes(raw, policy=policy.default)
    message.add_attachment(
        b"%PDF-1.4\n" + b"0" * size, maintype="application", subtype="pdf", filename="cv.pdf"
    )
    return message.as_bytes()
