"""Parsing large messages with less memory gives exactly what the standard library gives.

`parse_message` feeds the parser piece by piece and decodes large base64 attachments a
piece at a time (see `parse._message_from_bytes` and `parse._streamed_base64`). These tests
hold both to the standard library's results, on every corpus message and on generated
payloads; the memory itself is measured in bench/bench_inbound_memory.py, not here.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import os
from email.message import EmailMessage, Message
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microintern.mail.inbound import parse
from microintern.mail.inbound.parse import Limits, ParsedMessage, parse_message

CORPUS = Path(__file__).parents[1] / "corpus"
NOT_MAIL = {".csv", ".md", ".gitattributes"}
EVERY_MESSAGE = sorted(
    path for path in CORPUS.rglob("*") if path.is_file() and path.suffix not in NOT_MAIL
)


def _tree(msg: Message) -> list[tuple]:
    """Every part's raw headers, undecoded payload (for leaves) and defects."""
    return [
        (
            list(part.raw_items()),
            None if part.is_multipart() else part.get_payload(),
            [type(defect).__name__ for defect in part.defects],
        )
        for part in msg.walk()
    ]


def _standard_library_parse(monkeypatch, raw: bytes, limits: Limits):
    """parse_message as it was: the whole message to `message_from_bytes`, every attachment
    decoded whole by `get_payload(decode=True)`."""
    with monkeypatch.context() as patched:
        patched.setattr(
            parse,
            "_message_from_bytes",
            lambda raw, policy: email.message_from_bytes(raw, policy=policy),
        )
        patched.setattr(parse, "_streamed_base64", lambda payload, limits: None)
        return parse_message(raw, limits)


@pytest.mark.parametrize("limit", [10, 2000, parse.DEFAULT_LIMITS.max_attachment_bytes])
@pytest.mark.parametrize("path", EVERY_MESSAGE, ids=lambda p: str(p.relative_to(CORPUS)))
def test_every_corpus_message_parses_as_with_the_whole_message(monkeypatch, path, limit):
    # A small attachment limit sends the corpus's attachments through the streamed path.
    raw = path.read_bytes()
    limits = Limits(max_attachment_bytes=limit)
    ours = parse_message(raw, limits)
    theirs = _standard_library_parse(monkeypatch, raw, limits)
    assert ours == theirs  # every field but the stdlib tree itself, attachments' bytes too
    if isinstance(ours, ParsedMessage):
        assert _tree(ours.email) == _tree(theirs.email)


def _pdf_message(content: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"] = "a.pereira@student.example.ac.uk"
    msg["To"] = "business-clinic@example.ac.uk"
    msg["Subject"] = "Interest in MI-2026-007, CV attached"
    msg.set_content("Hello, my CV is attached.\n")
    msg.add_attachment(content, maintype="application", subtype="pdf", filename="cv.pdf")
    return msg.as_bytes()


def test_a_large_attachment_is_never_decoded_whole(monkeypatch):
    content = b"%PDF-1.4\n" + os.urandom(300_000)
    limits = Limits(max_attachment_bytes=100_000)
    decoded_whole = []
    original = Message.get_payload

    def recording(self, i=None, decode=False):
        if decode:
            decoded_whole.append(self.get_content_type())
        return original(self, i, decode)

    monkeypatch.setattr(Message, "get_payload", recording)
    message = parse_message(_pdf_message(content), limits)
    assert decoded_whole == ["text/plain"]  # the body only, not the attachment
    (attachment,) = message.attachments
    assert attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.sniffed_type == "application/pdf"
    assert not attachment.allowed and attachment.content is None
    assert attachment.reason == "293.0 KB is over the attachment limit of 97.7 KB"


def test_an_attachment_within_the_limit_keeps_its_bytes():
    content = b"%PDF-1.4\n" + os.urandom(3000)
    message = parse_message(_pdf_message(content), Limits(max_attachment_bytes=5000))
    (attachment,) = message.attachments
    assert attachment.allowed and attachment.content == content


def _part(payload: str) -> Message:
    part = email.message_from_string(
        "Content-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n",
        policy=email.policy.default,
    )
    part.set_payload(payload)
    return part


_BASE64_TEXT = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n \t!é",
    max_size=200,
)


@settings(max_examples=500, deadline=None)
@given(payload=_BASE64_TEXT, chunk=st.integers(1, 40), limit=st.integers(0, 150))
def test_streamed_base64_is_the_standard_library_or_declines(payload, chunk, limit):
    limits = Limits(max_attachment_bytes=limit)
    streamed = parse._streamed_base64(payload, limits, chunk_chars=chunk)
    part = _part(payload)
    whole = part.get_payload(decode=True)
    if streamed is None:
        return  # the standard library decodes it, with its repairs
    assert part.defects == []  # what the library decodes with a repair is never streamed
    assert streamed == parse._decoded(whole, limits)


@settings(max_examples=200, deadline=None)
@given(content=st.binary(max_size=400), chunk=st.integers(1, 100), crlf=st.booleans())
def test_streamed_base64_decodes_what_mail_programs_send(content, chunk, crlf):
    payload = base64.encodebytes(content).decode("ascii")
    if crlf:
        payload = payload.replace("\n", "\r\n")
    streamed = parse._streamed_base64(payload, Limits(max_attachment_bytes=200), chunk)
    assert streamed is not None
    assert streamed == parse._decoded(content, Limits(max_attachment_bytes=200))
