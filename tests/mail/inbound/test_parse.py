"""Safe parsing of inbound mail: the corpus, hostile input generated at test time, helpers."""

from __future__ import annotations

import base64
import datetime
import email
import email.parser
import email.policy
import email.utils
import re
import resource

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from microintern.mail.inbound.parse import (
    Limits,
    ParsedMessage,
    QuarantineCode,
    Quarantined,
    decode_text,
    extract_message_id,
    html_to_text,
    parse_message,
    plain_address,
    sanitize_filename,
)

from .helpers import corpus_files, load, parsed

HEADERS = (
    b"From: Student <s@student.example.ac.uk>\r\n"
    b"To: business-clinic@example.ac.uk\r\n"
    b"Subject: MI-2026-007\r\n"
    b"Message-ID: <hostile@example.test>\r\n"
)


# ------------------------------------------------------------------------------ the corpus


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_every_corpus_message_parses_without_raising(path):
    result = parse_message(path.read_bytes())
    assert isinstance(result, ParsedMessage), getattr(result, "reason", result)
    assert result.size == len(path.read_bytes())
    assert len(result.sha256) == 64
    assert result.from_address, "every corpus message has a usable sender"


def test_corpus_is_broad_enough():
    names = {path.name for path in corpus_files()}
    assert len(names) >= 30
    for prefix in ("bounce_", "ooo_", "list_", "human_", "broken_", "charset_", "attachment_"):
        assert any(name.startswith(prefix) for name in names), prefix


def test_plain_eoi_headers_are_decoded():
    message = parsed("human_plain_eoi.eml")
    assert message.from_name == "Ana Pereira"
    assert message.from_address == "a.pereira@student.example.ac.uk"
    assert message.to == ("business-clinic@example.ac.uk",)
    assert message.subject == "Interest in MI-2026-007 (social media strategy)"
    assert message.message_id == "<DB9PR10MB5151A1B2C3D4@DB9PR10MB5151.EURPRD10.PROD.OUTLOOK.COM>"
    assert message.return_path == "a.pereira@student.example.ac.uk"
    assert message.date is not None and message.date.year == 2026
    assert len(message.authentication_results) == 2
    assert message.authentication_results[0].startswith("mx1.example.ac.uk;")
    assert message.body_source == "plain"
    assert "looks after" not in message.body_text
    assert "I look after my younger brother" in message.body_text
    assert message.attachments == ()
    assert message.notes == ()


def test_quoted_reply_and_signature_are_trimmed_but_full_body_kept():
    message = parsed("human_quoted_reply_signature.eml")
    assert message.subject == "Re: Your expression of interest \u2013 MI\u20132026\u201307"
    assert message.in_reply_to == "<ack.4830.mi-2026-007@microintern.example.ac.uk>"
    assert message.references == (
        "<first.1@mail.gmail.com>",
        "<ack.4830.mi-2026-007@microintern.example.ac.uk>",
    )
    assert message.body_trimmed == (
        "Yes, that's right, I can do the 24th. I also use a wheelchair, is the venue step-free?"
    )
    assert "> Thank you for your interest" in message.body_text
    assert "Sent from my phone" in message.body_text


def test_outlook_style_quote_is_trimmed():
    message = parsed("human_outlook_reply.eml")
    assert "I\u2019m an international student" in message.body_trimmed  # windows-1252 quote
    assert "Sent: 05 March" not in message.body_trimmed
    assert "Sent: 05 March" in message.body_text


def test_html_only_message_is_converted_and_sanitised():
    message = parsed("human_html_only_eoi.eml")
    assert message.body_source == "html"
    assert "I am interested in mi 2026 12, the expansion project for the café." in (
        message.body_text
    )
    assert "alert" not in message.body_text
    assert "color: red" not in message.body_text
    html = message.sanitized_html
    assert html is not None
    for forbidden in ("<script", "javascript:", "onload", "onerror", "<img", "<style", "tracker"):
        assert forbidden not in html
    assert '<a href="https://example.ac.uk/about"' in html
    assert "<b>mi 2026 12</b>" in html


def test_unknown_charset_falls_back_to_detection():
    message = parsed("charset_unknown_x_unknown_foo.eml")
    assert "Türkçe" in message.body_text
    assert "çay shops" in message.body_text
    assert any("x-unknown-foo" in note for note in message.notes)
    assert message.from_name == "Mehmet Öztürk"


def test_undeclared_8bit_latin1_body_and_headers():
    message = parsed("charset_undeclared_8bit_latin1.eml")
    assert message.subject == "Intérêt pour MI-2026-011"
    assert message.from_name == "René Müller"
    assert "je suis très intéressé" in message.body_text
    assert "\ufffd" not in message.body_text
    assert any("no charset was declared" in note for note in message.notes)


def test_bytes_to_bytes_codec_is_never_used_as_a_charset():
    message = parsed("charset_declared_zlib_codec.eml")
    assert "must not be used to decode text" in message.body_text
    assert any("'zlib'" in note for note in message.notes)


def test_missing_boundary_keeps_the_text_and_notes_the_defect():
    message = parsed("broken_missing_boundary.eml")
    assert "I am interested in MI-2026-007." in message.body_text
    assert any("NoBoundaryInMultipartDefect" in note for note in message.notes)


def test_truncated_message_keeps_what_arrived():
    message = parsed("broken_truncated.eml")
    assert "I'd like a place on MI-2026-009" in message.body_text
    assert any("CloseBoundaryNotFoundDefect" in note for note in message.notes)
    assert [a.filename for a in message.attachments] == ["cv.pdf"]


def test_garbled_headers_do_not_lose_the_message():
    message = parsed("broken_headers_and_dates.eml")
    assert message.from_address == "z.student@student.example.ac.uk"
    assert message.date is None
    assert message.message_id == "no"
    assert "MI-2026-007" in message.subject
    assert "business-clinic@example.ac.uk" in message.to


def test_attachment_types_are_checked_by_content_not_name():
    message = parsed("attachment_exe_named_pdf.eml")
    by_name = {a.filename: a for a in message.attachments}
    exe = by_name["CV_Dylan_Evans.pdf"]
    assert exe.declared_type == "application/pdf"
    assert exe.sniffed_type == "application/x-msdownload"
    assert not exe.allowed
    assert exe.content is None
    assert exe.reason == "content is application/x-msdownload, which is not an allowed type"
    pdf = by_name["real-cv.pdf"]
    assert pdf.allowed and pdf.content.startswith(b"%PDF-")
    assert pdf.size == len(pdf.content)
    # A PNG sent as photo.jpg is kept, named after what it really is.
    png = by_name["photo.png"]
    assert png.allowed and png.sniffed_type == "image/png"
    notes = by_name["notes.txt"]
    assert notes.allowed and notes.content == b"Availability: Tuesdays and Thursdays.\n"
    assert message.body_text == "Please find my CV attached. I'm keen on MI-2026-007."


def test_attachment_filenames_are_sanitised():
    message = parsed("attachment_path_traversal.eml")
    names = [a.filename for a in message.attachments]
    assert names == ["evil.pdf", "statementfdp.pdf", "_CON.png"]
    for name in names:
        assert "/" not in name and "\\" not in name and ".." not in name
        assert all(ch.isprintable() for ch in name)


def test_oversized_attachment_is_dropped_with_a_reason():
    limits = Limits(max_attachment_bytes=100)
    message = parse_message(load("attachment_exe_named_pdf.eml"), limits)
    assert isinstance(message, ParsedMessage)
    pdf = next(a for a in message.attachments if a.filename == "real-cv.pdf")
    assert not pdf.allowed and pdf.content is None
    assert pdf.reason == "125 bytes is over the attachment limit of 100 bytes"


# ------------------------------------------------------------------ hostile input (generated)


def test_twenty_megabyte_message_is_quarantined_unparsed():
    raw = HEADERS + b"\r\n" + b"A" * (20 * 1024 * 1024)
    result = parse_message(raw)
    assert isinstance(result, Quarantined)
    assert result.code is QuarantineCode.TOO_LARGE
    assert result.reason.startswith("The message is 20.0 MB, over the limit of 10.0 MB")
    assert result.message_id == "<hostile@example.test>"
    assert result.size == len(raw)


def test_from_with_5000_encoded_words_is_quarantined():
    words = b" ".join(b"=?utf-8?q?a?=" for _ in range(5000))
    raw = (
        b"From: " + words + b" <x@example.test>\r\n" + HEADERS[HEADERS.index(b"To:") :] + b"\r\nhi"
    )
    result = parse_message(raw)
    assert isinstance(result, Quarantined)
    assert result.code is QuarantineCode.HEADER_TOO_LARGE
    assert result.reason == (
        "The From header is over the limit of 8.0 KB; it was stored but not opened."
    )


def test_100000_encoded_words_across_many_headers_are_quarantined():
    line = b"X-Junk: " + b" ".join(b"=?utf-8?q?a?=" for _ in range(500)) + b"\r\n"
    raw = HEADERS + line * 200 + b"\r\nhi"
    result = parse_message(raw)
    assert isinstance(result, Quarantined)
    assert result.code is QuarantineCode.HEADER_BLOCK_TOO_LARGE
    assert "headers are longer than 64.0 KB" in result.reason


def test_folded_header_is_measured_after_unfolding():
    raw = HEADERS + b"Subject2: x" + b"\r\n y" * 5000 + b"\r\n\r\nhi"
    result = parse_message(raw)
    assert isinstance(result, Quarantined)
    assert result.code is QuarantineCode.HEADER_TOO_LARGE
    assert "Subject2 header" in result.reason


def _nested(levels: int) -> bytes:
    head = [HEADERS, b"MIME-Version: 1.0\r\n"]
    body: list[bytes] = []
    for level in range(levels):
        head.append(f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n'.encode())
        head.append(f"--b{level}\r\n".encode())
        body.insert(0, f"\r\n--b{level}--\r\n".encode())
    head.append(b"Content-Type: text/plain\r\n\r\ndeep\r\n")
    return b"".join(head + body)


def test_fifty_levels_of_nesting_are_quarantined():
    result = parse_message(_nested(50))
    assert isinstance(result, Quarantined)
    assert result.code is QuarantineCode.TOO_DEEP
    assert result.reason == (
        "MIME parts are nested more than 10 levels deep; it was stored but not opened."
    )
    assert result.message_id == "<hostile@example.test>"


def test_moderate_nesting_is_fine():
    result = parse_message(_nested(5))
    assert isinstance(result, ParsedMessage)
    assert result.depth == 5
    assert result.body_text == "deep"


def test_five_thousand_parts_are_quarantined():
    parts = b"".join(b"--p\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(5000))
    raw = HEADERS + b'Content-Type: multipart/mixed; boundary="p"\r\n\r\n' + parts + b"--p--\r\n"
    result = parse_message(raw)
    assert isinstance(result, Quarantined)
    assert result.code is QuarantineCode.TOO_MANY_PARTS
    assert result.reason.startswith("The message has more than 100 MIME parts")


def test_bloated_content_type_inside_a_part_is_quarantined():
    bloat = b" ".join(b"=?utf-8?q?a?=" for _ in range(2000))
    raw = (
        HEADERS
        + b'Content-Type: multipart/mixed; boundary="p"\r\n\r\n--p\r\n'
        + b'Content-Type: text/plain; name="'
        + bloat
        + b'"\r\n\r\nx\r\n--p--\r\n'
    )
    result = parse_message(raw)
    assert isinstance(result, Quarantined)
    assert result.code is QuarantineCode.HEADER_TOO_LARGE
    assert "Content-Type header inside the message" in result.reason


def test_deeply_nested_comments_do_not_raise():
    raw = b"From: " + b"(" * 3000 + b"x" + b")" * 3000 + b" <a@example.test>\r\n\r\nbody"
    result = parse_message(raw)
    assert isinstance(result, ParsedMessage)
    assert result.from_address == "a@example.test"
    assert result.body_text == "body"


def test_header_at_the_limit_parses_in_bounded_memory():
    words = b" ".join(b"=?utf-8?q?a?=" for _ in range(580))  # just under 8 KB
    raw = b"From: " + words + b" <x@example.test>\r\nSubject: " + words + b"\r\n\r\nhi"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = parse_message(raw)
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert isinstance(result, ParsedMessage)
    assert result.from_address == "x@example.test"
    assert grown_kb < 200 * 1024


def test_header_block_without_an_end_is_quarantined():
    raw = HEADERS + b"X-A: b\r\n" * 20000
    result = parse_message(raw)
    assert isinstance(result, Quarantined)
    assert result.code is QuarantineCode.HEADER_BLOCK_TOO_LARGE


def test_parser_failure_becomes_a_quarantine_reason(monkeypatch):
    def explode(*args, **kwargs):
        raise LookupError("unknown encoding: x-evil")

    monkeypatch.setattr(email.parser.BytesFeedParser, "feed", explode)
    result = parse_message(HEADERS + b"\r\nhi")
    assert isinstance(result, Quarantined)
    assert result.code is QuarantineCode.UNPARSEABLE
    assert "LookupError: unknown encoding: x-evil" in result.reason
    assert result.message_id == "<hostile@example.test>"


def test_recursion_error_becomes_a_quarantine_reason(monkeypatch):
    def explode(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(email.parser.BytesFeedParser, "feed", explode)
    result = parse_message(HEADERS + b"\r\nhi")
    assert isinstance(result, Quarantined)
    assert result.code is QuarantineCode.UNPARSEABLE
    assert "nested too deeply" in result.reason


def test_empty_and_junk_input_do_not_raise():
    for raw in (b"", b"\r\n", b"\x00" * 100, b"not an email at all", b":\r\n:\r\n\r\n"):
        result = parse_message(raw)
        assert isinstance(result, ParsedMessage | Quarantined)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_arbitrary_bytes_never_raise(raw):
    result = parse_message(HEADERS + b"Content-Type: multipart/mixed; boundary=x\r\n\r\n" + raw)
    assert isinstance(result, ParsedMessage | Quarantined)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([path.name for path in corpus_files()]),
    st.integers(min_value=0, max_value=10_000),
    st.binary(min_size=0, max_size=40),
)
def test_corrupted_corpus_messages_never_raise(name, position, garbage):
    raw = load(name)
    position %= max(1, len(raw))
    result = parse_message(raw[:position] + garbage + raw[position + len(garbage) :])
    assert isinstance(result, ParsedMessage | Quarantined)


# ------------------------------------------------------------------------------ helpers


def test_extract_message_id_without_parsing():
    assert extract_message_id(load("human_plain_eoi.eml")) == (
        "<DB9PR10MB5151A1B2C3D4@DB9PR10MB5151.EURPRD10.PROD.OUTLOOK.COM>"
    )
    assert extract_message_id(b"Subject: x\r\n\r\nMessage-ID: <in-body@x>\r\n") is None
    assert extract_message_id(b"Message-Id:\r\n <folded@x>\r\n\r\n") == "<folded@x>"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\cv.pdf", "cv.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("a\r\nb\x00c.pdf", "abc.pdf"),
        ("...hidden", "hidden"),
        ("", "attachment"),
        (None, "attachment"),
        ("..", "attachment"),
        ('what?*<>|:".txt', "what_______.txt"),
        ("nul.txt", "_nul.txt"),
        ("x" * 500 + ".pdf", "x" * 116 + ".pdf"),
    ],
)
def test_sanitize_filename(raw, expected):
    assert sanitize_filename(raw) == expected


@pytest.mark.parametrize(
    ("payload", "declared", "expected", "noted"),
    [
        (b"plain ascii", None, "plain ascii", False),
        ("caf\u00e9".encode(), None, "caf\u00e9", False),
        ("caf\u00e9".encode(), "utf-8", "caf\u00e9", False),
        ("caf\u00e9".encode("latin-1"), "iso-8859-1", "caf\u00e9", False),
        ("caf\u00e9 cr\u00e8me".encode("latin-1"), "utf-8", "caf\u00e9 cr\u00e8me", True),
        (b"text", "x-unknown-foo", "text", True),
        (b"text", "base64", "text", True),
    ],
)
def test_decode_text_fallback_chain(payload, declared, expected, noted):
    text, note = decode_text(payload, declared)
    assert text == expected
    assert (note is not None) == noted


def test_decode_text_last_resort_is_latin1():
    text, note = decode_text(b"\xff\xfe\x00\x81", "x-unknown")
    assert isinstance(text, str)
    assert note is not None


def test_html_to_text_keeps_blocks_apart_and_drops_scripts():
    html = "<p>One<br>Two</p><ul><li>A</li><li>B</li></ul><script>x()</script><style>p{}</style>"
    assert html_to_text(html) == "One\nTwo\n\nA\n\nB"


def test_stdlib_refuses_header_injection_in_outgoing_mail():
    """Reassurance for the outbox: CR/LF in a header value is refused by the stdlib."""
    message = email.message.EmailMessage(policy=email.policy.default)
    with pytest.raises(ValueError):
        message["Subject"] = "hi\r\nBcc: everyone@example.test"


def test_base64_attachment_sizes_are_decoded_sizes():
    content = b"%PDF-1.4\n" + b"0" * 1000
    raw = (
        HEADERS
        + b'Content-Type: multipart/mixed; boundary="z"\r\n\r\n--z\r\nContent-Type: text/plain'
        + b"\r\n\r\nhi\r\n--z\r\nContent-Type: application/pdf\r\nContent-Disposition: "
        + b'attachment; filename="a.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.encodebytes(content)
        + b"--z--\r\n"
    )
    message = parse_message(raw)
    assert isinstance(message, ParsedMessage)
    assert message.attachments[0].size == len(content)
    assert message.attachments[0].allowed


def _html_message(html: bytes) -> bytes:
    return HEADERS + b"Content-Type: text/html; charset=utf-8\r\n\r\n" + html


@pytest.mark.parametrize(
    "pattern", [b"<p>a</p><br>", b"<div>x", b"<p<p", b"<script>x"], ids=["br", "nest", "open", "js"]
)
def test_hostile_html_is_reduced_to_text_without_the_slow_parsers(pattern):
    """BeautifulSoup and nh3 are super-linear on these; each 2 MB body must not stall."""
    result = parse_message(_html_message(pattern * (2 * 1024 * 1024 // len(pattern))))
    assert isinstance(result, ParsedMessage)
    assert result.body_source == "html"
    assert result.sanitized_html is None
    assert "too large or complex to display safely" in result.notes[0]


def test_html_at_the_tag_limit_is_still_sanitised():
    result = parse_message(_html_message(b"<p>a</p>" * 1400))
    assert isinstance(result, ParsedMessage)
    assert result.sanitized_html is not None and result.sanitized_html.startswith("<p>a</p>")


def test_reply_trimming_is_linear_on_many_on_words():
    """Upstream email-reply-parser needs minutes for 18 KB of "On a day"; ours is bounded."""
    result = parse_message(HEADERS + b"\r\n" + b"On a day " * 20000)
    assert isinstance(result, ParsedMessage)
    assert result.body_trimmed.startswith("On a day On a day")


_HEADER_TEXT = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126) | st.sampled_from("\t=?"),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(
        [
            "X-Note",
            "Received",
            "Subject",
            "Comments",
            "Message-ID",
            "MIME-Version",
            "Content-Transfer-Encoding",
        ]
    ),
    pieces=st.lists(
        _HEADER_TEXT
        | st.sampled_from(["<a.1+x@mail.example.org>", "1.0", " base64", "7BIT", "(1.0)"]),
        min_size=1,
        max_size=3,
    ),
)
def test_headers_read_the_same_as_the_standard_library_decodes_them(name, pieces):
    """Free-text headers skip the header parser when nothing needs decoding: what staff see
    must be exactly what policy.default gives, folded or not, encoded-words or not."""
    value = "\r\n\t".join(pieces)
    raw = f"From: a@example.org\r\n{name}: {value}\r\n\r\nbody\r\n".encode()
    try:
        expected = email.message_from_bytes(raw, policy=email.policy.default)[name]
    except Exception:  # the standard library gives up on a few malformed IDs ("<")
        assume(False)
    result = parse_message(raw)
    assert isinstance(result, ParsedMessage)
    assert result.headers[name.lower()] == (str(expected).strip(),)


_WORD = st.text(alphabet="abcXYZ09!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=6)
_DOT_ATOM = st.lists(_WORD, min_size=1, max_size=3).map(".".join)
_MAILBOX = st.tuples(_DOT_ATOM, _DOT_ATOM).map("@".join)
_ADDRESS_VALUE = st.one_of(
    _MAILBOX,
    st.tuples(st.lists(_WORD, min_size=1, max_size=3).map(" ".join), _MAILBOX).map(
        lambda pair: f"{pair[0]} <{pair[1]}>"
    ),
    st.sampled_from(
        [
            '"Pereira, A." <a@example.org>',
            "A. Pereira <a@example.org>",
            "a@example.org (A Pereira)",
            "A  Pereira <a@example.org>",
            "A Pereira<a@example.org>",
            "a@example.org, b@example.org",
            "Undisclosed recipients:;",
            "<a@example.org>",
            "a@[127.0.0.1]",
            "",
        ]
    ),
    _HEADER_TEXT,
)
_DATE_VALUE = st.one_of(
    st.datetimes(
        min_value=datetime.datetime(1970, 1, 2),
        max_value=datetime.datetime(2100, 1, 1),
        timezones=st.sampled_from(
            [datetime.UTC, datetime.timezone(datetime.timedelta(hours=-5, minutes=-30))]
        ),
    ).map(lambda moment: email.utils.format_datetime(moment)),
    st.sampled_from(
        [
            "1 Dec 2026 10:00:00 +0000",
            "Tue, 1 Dec 2026 10:00 GMT",
            "Tue, 01 Dec 2026 10:00:00 -0000",
            "Tue,  1 Dec 26 10:00:00 +0100 (CET)",
            "31 Feb 2026 10:00:00 +0000",
            "yesterday",
            "Tue, 01 Dec 2026 25:00:00 +0000",
        ]
    ),
    _HEADER_TEXT,
)


@settings(max_examples=400, deadline=None)
@given(
    name=st.sampled_from(["From", "To", "Cc", "Reply-To", "Sender", "Date"]),
    data=st.data(),
)
def test_address_and_date_headers_read_the_same_as_the_standard_library(name, data):
    """A plain mailbox and a readable date skip the header parser: the text must be exactly
    what policy.default gives, and anything else still goes through the parser."""
    value = data.draw(_DATE_VALUE if name == "Date" else _ADDRESS_VALUE)
    other = "Date: Tue, 01 Dec 2026 10:00:00 +0000" if name != "Date" else "From: a@example.org"
    raw = f"{other}\r\n{name}: {value}\r\n\r\nbody\r\n".encode()
    try:
        expected = str(email.message_from_bytes(raw, policy=email.policy.default)[name])
    except Exception:  # the standard library gives up on a few malformed values
        assume(False)
    result = parse_message(raw)
    assert isinstance(result, ParsedMessage)
    assert result.headers[name.lower()] == (_clean(expected),)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_MAILBOX, _ADDRESS_VALUE).map(lambda text: f" {text}\t"))
def test_a_plain_address_is_what_parseaddr_reads(text):
    """The shortcut past `parseaddr` for bare addresses may only take what it reads
    unchanged; anything else goes to `parseaddr` as before."""
    plain = plain_address(text)
    if plain is not None:
        assert email.utils.parseaddr(text)[1] == plain


def _clean(text: str) -> str:
    """What parse_message does to every header's text after decoding it."""
    text = text.replace("\r", " ").replace("\n", " ")
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text).strip()


def test_text_labelled_with_a_smaller_charset_is_read_in_its_superset():
    """Mail software labels GBK text "gb2312" (and Windows-949 "euc-kr"): no character may
    be lost to U+FFFD, in an encoded-word or in the body."""
    gbk_only = "你们看看这个是什么屄"  # the last character is in GBK, not in GB2312
    word = base64.b64encode(gbk_only.encode("gbk")).decode()
    raw = (
        f"From: x@example.org\r\nSubject: =?gb2312?b?{word}?=\r\n"
        "Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        f"{word}\r\n"
    ).encode()
    result = parse_message(raw)
    assert result.subject == gbk_only
    assert result.body_text == gbk_only and not result.notes


def test_an_undeclared_8bit_header_is_read_in_the_bodys_charset():
    polish = "Zgłoszenie na staż"
    raw = (
        b"From: x@example.org\r\nSubject: " + polish.encode("iso-8859-2") + b"\r\n"
        b"Content-Type: text/plain; charset=iso-8859-2\r\n\r\n" + polish.encode("iso-8859-2")
    )
    result = parse_message(raw)
    assert result.subject == polish
    assert "decoded as iso-8859-2" in " ".join(result.notes)


def test_an_undeclared_8bit_header_in_western_mail_is_read_as_windows_1252():
    raw = (
        b"From: x@example.org\r\nSubject: Travel \x80 50 refund\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\nbody\r\n"
    )
    assert parse_message(raw).subject == "Travel \u20ac 50 refund"
