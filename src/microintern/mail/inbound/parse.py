"""Safe parsing of inbound email.

`parse_message` turns the raw bytes of one message into a `ParsedMessage`, or into a
`Quarantined` result when the message is too large, too deeply nested or too broken to parse.
It never raises: the caller has already stored the raw bytes and only needs to know what to
show staff.

Hostile input is refused *before* the standard-library parser sees it, because header parsing
in `email.policy.default` can use hundreds of megabytes on a header of a few hundred kilobytes
(thousands of encoded-words) and raises `RecursionError` on deeply nested comments. The
checks are linear scans over bytes; only messages that pass them are parsed.

This module is pure Python (no Django) so it can be tested and benchmarked on its own.
"""

from __future__ import annotations

import binascii
import codecs
import email
import email.parser
import email.policy
import functools
import hashlib
import html as html_module
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.header import decode_header, make_header
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage, Message
from email.utils import format_datetime, getaddresses, parseaddr, parsedate_to_datetime
from enum import StrEnum

import charset_normalizer
import filetype
import nh3

__all__ = [
    "ALLOWED_ATTACHMENT_TYPES",
    "DEFAULT_LIMITS",
    "Attachment",
    "Limits",
    "ParsedMessage",
    "QuarantineCode",
    "Quarantined",
    "decode_text",
    "extract_message_id",
    "html_to_text",
    "parse_message",
    "sanitize_filename",
    "sanitize_html",
]

KB = 1024
MB = 1024 * KB


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps applied to every inbound message; anything beyond them is quarantined."""

    max_total_bytes: int = 10 * MB
    max_header_bytes: int = 8 * KB
    """Largest single header (after unfolding), top level or inside a MIME part."""
    max_header_block_bytes: int = 64 * KB
    """Largest header block (the top-level one, and each MIME part's)."""
    max_parts: int = 100
    max_depth: int = 10
    max_attachment_bytes: int = 5 * MB
    max_filename_chars: int = 120
    max_html_parse_bytes: int = 256 * KB
    max_html_tags: int = 3000
    """HTML bodies larger or with more tags than this are not given to BeautifulSoup or nh3."""
    charset_detection_bytes: int = 64 * KB
    """How much of a body part charset detection looks at (detection is slow on large input)."""


DEFAULT_LIMITS = Limits()

ALLOWED_ATTACHMENT_TYPES: frozenset[str] = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.text",
        "text/plain",
    }
)
"""Attachment types kept, as detected from the content (never from the name)."""


class QuarantineCode(StrEnum):
    """Why a message was not parsed (stable values, fit for storing)."""

    TOO_LARGE = "too_large"
    HEADER_TOO_LARGE = "header_too_large"
    HEADER_BLOCK_TOO_LARGE = "header_block_too_large"
    TOO_MANY_PARTS = "too_many_parts"
    TOO_DEEP = "too_deep"
    UNPARSEABLE = "unparseable"


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A message that was stored but not parsed; `reason` is written for staff."""

    code: QuarantineCode
    reason: str
    sha256: str
    size: int
    message_id: str | None = None
    """Best-effort Message-ID taken from the raw bytes without the email parser."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """One attachment. `content` is kept only when `allowed`; otherwise it is None."""

    filename: str
    """Sanitised: no directories, no control characters, length-capped; safe for downloads."""
    size: int
    declared_type: str
    sniffed_type: str | None
    """The type detected from the bytes (filetype), or text/plain for plain text."""
    allowed: bool
    reason: str
    """Why the attachment was kept or dropped, for staff."""
    content: bytes | None = field(default=None, repr=False)
    sha256: str = ""


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """What the rest of the system needs from one inbound message.

    Header values are decoded to text; absent headers are None (or empty tuples). `headers`
    holds every top-level header (lower-cased name → values in order of appearance) for
    classification. `email` is the parsed stdlib message for detectors that need the MIME
    tree (bounce detection); do not use it to fetch headers again.
    """

    sha256: str
    size: int
    message_id: str | None
    subject: str
    from_name: str
    from_address: str
    from_addresses: tuple[str, ...]
    """The From addresses as read leniently (for classifying and showing mail, never for
    deciding who wrote it: see `sender`)."""
    sender: str | None
    """The sender's actual mailbox: the single, well-formed address of the only From header,
    lower-cased domain; None when From is missing, malformed or names several mailboxes."""
    to: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: tuple[str, ...]
    date: datetime | None
    in_reply_to: str | None
    references: tuple[str, ...]
    return_path: str | None
    """Envelope sender from Return-Path: None if absent, "" for the null sender <>."""
    authentication_results: tuple[str, ...]
    """Authentication-Results header values, top (most recently added) first."""
    auto_submitted: str | None
    content_type: str
    headers: dict[str, tuple[str, ...]]
    body_text: str
    """The whole body as text (text/plain preferred, otherwise converted from HTML)."""
    body_trimmed: str
    """`body_text` without quoted replies and signatures."""
    body_source: str
    """Where the body came from: "plain", "html" or "none"."""
    sanitized_html: str | None
    """The HTML part cleaned with nh3, for staff display only; None if there was none."""
    attachments: tuple[Attachment, ...]
    part_count: int
    depth: int
    notes: tuple[str, ...]
    """Human-readable remarks on what was repaired (charset fallbacks, MIME defects)."""
    email: EmailMessage = field(repr=False, compare=False)

    def header(self, name: str) -> str | None:
        """Return the first value of a top-level header, or None."""
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def header_all(self, name: str) -> tuple[str, ...]:
        """Return every value of a top-level header, in order."""
        return self.headers.get(name.lower(), ())


# --------------------------------------------------------------------------------------------
# Checks on raw bytes, before the stdlib parser runs.

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_NESTED_MIME_HEADER = re.compile(
    rb"(?im)^content-(?:type|disposition)[ \t]*:[^\n]*(?:\n[ \t][^\n]*)*"
)
_BOUNDARY_PARAM = re.compile(rb'(?i)boundary[ \t]*=[ \t]*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))')
_MESSAGE_ID = re.compile(rb"(?im)^message-id[ \t]*:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]{1,900}>)")


def _sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def extract_message_id(raw: bytes, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """Return the Message-ID from the raw header block without parsing the message.

    Cheap and safe on hostile input: it looks only at the first `max_header_block_bytes`.
    Meant for storing and de-duplicating a message before it is parsed.
    """
    head = raw[: limits.max_header_block_bytes]
    end = _HEADER_END.search(head)
    if end:
        head = head[: end.start()]
    match = _MESSAGE_ID.search(head)
    if not match:
        return None
    return match.group(1).decode("ascii", "replace")


def _unfolded_headers(block: bytes) -> Iterator[bytes]:
    """Yield each header of a header block with its continuation lines joined."""
    current: list[bytes] = []
    for line in block.splitlines():
        if line[:1] in (b" ", b"\t") and current:
            current.append(line)
            continue
        if current:
            yield b"".join(current)
        current = [line]
    if current:
        yield b"".join(current)


def _header_name(header: bytes) -> str:
    name = header.split(b":", 1)[0][:60]
    return name.decode("ascii", "replace").strip() or "(unnamed)"


def _precheck(raw: bytes, limits: Limits) -> tuple[QuarantineCode, str] | None:
    """Return why `raw` must not be parsed, or None if it is safe to hand to the parser."""
    size = len(raw)
    if size > limits.max_total_bytes:
        return (
            QuarantineCode.TOO_LARGE,
            f"The message is {_human_size(size)}, over the limit of "
            f"{_human_size(limits.max_total_bytes)}; it was stored but not opened.",
        )
    window = raw[: limits.max_header_block_bytes + 4]
    end = _HEADER_END.search(window)
    block = window[: end.start()] if end else window
    for header in _unfolded_headers(block):
        if len(header) > limits.max_header_bytes:
            return (
                QuarantineCode.HEADER_TOO_LARGE,
                f"The {_header_name(header)} header is over the limit of "
                f"{_human_size(limits.max_header_bytes)}; it was stored but not opened.",
            )
    if end is None and size > limits.max_header_block_bytes:
        return (
            QuarantineCode.HEADER_BLOCK_TOO_LARGE,
            f"The message headers are longer than {_human_size(limits.max_header_block_bytes)}; "
            "it was stored but not opened.",
        )
    # The parser reads Content-Type (and we read Content-Disposition) of every MIME part, so a
    # bloated one deep inside the body is as dangerous as one at the top.
    boundaries: set[bytes] = set()
    for match in _NESTED_MIME_HEADER.finditer(raw):
        if match.end() - match.start() > limits.max_header_bytes:
            return (
                QuarantineCode.HEADER_TOO_LARGE,
                f"A {_header_name(match.group(0))} header inside the message is over the limit "
                f"of {_human_size(limits.max_header_bytes)}; it was stored but not opened.",
            )
        if b"multipart" in match.group(0).lower():
            param = _BOUNDARY_PARAM.search(match.group(0))
            if param:
                boundaries.add(param.group(1) or param.group(2))
    if _count_part_delimiters(raw, boundaries, limits.max_parts) > limits.max_parts:
        return (
            QuarantineCode.TOO_MANY_PARTS,
            f"The message has more than {limits.max_parts} MIME parts; "
            "it was stored but not opened.",
        )
    return None


def _count_part_delimiters(raw: bytes, boundaries: set[bytes], max_parts: int) -> int:
    """Count the lines that open a MIME part (`--boundary`, not the closing `--boundary--`).

    Each opens one part, so a count over `max_parts` means the parsed tree would be over it
    too; counting on the raw bytes takes milliseconds where parsing 5,000 parts takes a second.
    With more distinct boundaries than `max_parts` (hostile), return 0 and leave the check to
    the walk of the parsed tree.
    """
    if not boundaries or len(boundaries) > max_parts:
        return 0
    alternatives = b"|".join(re.escape(b) for b in sorted(boundaries, key=len, reverse=True))
    delimiter = re.compile(rb"(?m)^--(?:" + alternatives + rb")(?!--)")
    return sum(1 for _ in delimiter.finditer(raw))


def _human_size(size: int) -> str:
    if size >= MB:
        return f"{size / MB:.1f} MB"
    if size >= KB:
        return f"{size / KB:.1f} KB"
    return f"{size} bytes"


# --------------------------------------------------------------------------------------------
# Checks on the parsed tree, before any header of a part is interpreted.


def _walk(
    msg: Message, limits: Limits
) -> tuple[list[tuple[Message, int]], tuple[QuarantineCode, str] | None]:
    """List every part with its depth, iteratively; stop with a reason at the first cap hit.

    Only raw header storage is touched here (no header parsing), so this is safe on parts
    whose headers would be expensive to interpret.
    """
    parts: list[tuple[Message, int]] = []
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        if depth > limits.max_depth:
            return parts, (
                QuarantineCode.TOO_DEEP,
                f"MIME parts are nested more than {limits.max_depth} levels deep",
            )
        parts.append((part, depth))
        if len(parts) > limits.max_parts:
            return parts, (
                QuarantineCode.TOO_MANY_PARTS,
                f"The message has more than {limits.max_parts} MIME parts",
            )
        block = 0
        for name, value in part.raw_items():
            length = len(name) + len(str(value))
            block += length
            if length > limits.max_header_bytes:
                return parts, (
                    QuarantineCode.HEADER_TOO_LARGE,
                    f"A {name} header inside the message is over the size limit",
                )
        if block > limits.max_header_block_bytes:
            return parts, (
                QuarantineCode.HEADER_BLOCK_TOO_LARGE,
                "A MIME part's headers are over the size limit",
            )
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in reversed(payload))
    return parts, None


# --------------------------------------------------------------------------------------------
# Headers.


def _raw_header_text(value: object) -> str:
    """Decode a header's raw value (encoded-words included) without the policy machinery."""
    text = str(value)
    try:
        return str(make_header(decode_header(text)))
    except Exception:  # any malformed encoded-word: show it undecoded.
        return text.encode("ascii", "replace").decode("ascii")


# Charsets that mail software labels with the name of a smaller one: text labelled gb2312 is
# usually GBK, euc-kr is usually Windows-949, and so on (as the WHATWG Encoding Standard
# reads these labels). Each superset decodes everything the smaller charset does, the same.
_CHARSET_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "big5": "big5hkscs",
}
_ENCODED_WORD_CHARSET = re.compile(r"=\?([^?*\s]+)((?:\*[^?\s]*)?\?[bBqQ]\?)")


def _superset(charset: str | None) -> str | None:
    """The charset to decode text labelled `charset` with (see _CHARSET_SUPERSETS)."""
    if not charset:
        return charset
    return _CHARSET_SUPERSETS.get(charset.strip().lower(), charset)


def _with_superset_charsets(value: str) -> str:
    """Encoded-words with their charset label replaced by its superset, if it has one."""
    return _ENCODED_WORD_CHARSET.sub(
        lambda word: f"=?{_superset(word.group(1))}{word.group(2)}", value
    )


def _body_charset(parts: list[tuple[Message, int]]) -> str | None:
    """The charset the message's first text part declares (a hint for undeclared headers)."""
    for part, _depth in parts:
        if part.get_content_maintype() == "text":
            return _safe(lambda p=part: p.get_content_charset(), None)
    return None


def _collect_headers(
    msg: Message, charset_hint: str | None = None
) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """Return all top-level headers decoded to text, and notes on ones that needed repair.

    Undeclared 8-bit text in a header is read as UTF-8, else in `charset_hint` (the body's
    charset: mail software that leaves a header undeclared writes it like the body), else
    as Windows-1252.
    """
    headers: dict[str, list[str]] = {}
    notes: list[str] = []
    for name, raw_value in msg.raw_items():
        key = name.lower()
        try:
            if _has_surrogates(str(raw_value)):
                # Undeclared 8-bit bytes in a header: decode them like an undeclared body.
                raw_bytes = str(raw_value).encode("ascii", "surrogateescape")
                value, encoding = _decode_short(raw_bytes, charset_hint)
                notes.append(f"The {name} header had undeclared 8-bit text; decoded as {encoding}.")
            elif (quick := _read_without_parser(key, raw_value)) is not None:
                value = quick
            else:
                if "=?" in raw_value:
                    raw_value = _with_superset_charsets(raw_value)
                value = str(msg.policy.header_fetch_parse(name, raw_value))
        except Exception:  # a broken header must not lose the message.
            value = _raw_header_text(raw_value)
            notes.append(f"The {name} header could not be decoded and is shown as received.")
        value = _clean_header_value(value)
        headers.setdefault(key, []).append(value)
    return {key: tuple(values) for key, values in headers.items()}, notes


_STRUCTURED_HEADERS = frozenset(HeaderRegistry().registry) - {"subject"}
# Structured headers whose usual, well-formed value policy.default gives back unchanged.
_WELL_FORMED = {
    "message-id": re.compile(r"\s*<[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+>\s*"),
    "mime-version": re.compile(r"\s*1\.0\s*"),
    "content-transfer-encoding": re.compile(
        r"\s*(?:7bit|8bit|binary|base64|quoted-printable)\s*", re.IGNORECASE
    ),
}
_LINE_BREAK = re.compile(r"\n|\r")


_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATEXT}(?:\.{_ATEXT})*"
_ADDR = rf"{_DOT_ATOM}@{_DOT_ATOM}"
# One mailbox in its plainest forms, "a.pereira@example.ac.uk" or "A Pereira <a@b>": a
# display name of plain words (no quotes, dots or comments) with single spaces.
_PLAIN_MAILBOX = re.compile(
    rf"\s*(?:(?P<name>{_ATEXT}(?: {_ATEXT})*) <(?P<angle>{_ADDR})>|(?P<bare>{_ADDR}))\s*"
)
_PLAIN_ADDRESS = re.compile(_ADDR)


def plain_address(text: str) -> str | None:
    """`text` without surrounding space when it is a bare dot-atom address ("a.b@c.example"),
    which `email.utils.parseaddr` gives back unchanged; None for anything it must read."""
    text = text.strip()
    return text if _PLAIN_ADDRESS.fullmatch(text) else None


_ADDRESS_HEADERS = frozenset(
    {"from", "to", "cc", "bcc", "reply-to", "sender", "resent-from", "resent-to", "resent-cc"}
)
_DATE_HEADERS = frozenset({"date", "resent-date", "orig-date"})


def _read_without_parser(key: str, raw_value: object) -> str | None:
    """The text policy.default gives for a header, when it can be had without the header
    parser; None when the parser is needed.

    Most of a message's headers (Received, DKIM-Signature, X-...) are free text without
    encoded-words, given back unchanged but unfolded; so are a well-formed Message-ID,
    MIME-Version or Content-Transfer-Encoding, and a single plain mailbox. A date the
    standard library reads is given in its own format. Each shortcut gives exactly the
    parser's text (checked against policy.default in the tests); the parser built these
    headers at 100-300 microseconds each.
    """
    if not isinstance(raw_value, str) or "=?" in raw_value:
        return None
    if key not in _STRUCTURED_HEADERS:
        return _unfold(raw_value)
    value = _unfold(raw_value)
    if key in _ADDRESS_HEADERS:
        mailbox = _PLAIN_MAILBOX.fullmatch(value)
        if mailbox is None:
            return None
        if mailbox["bare"]:
            return mailbox["bare"]
        return f"{mailbox['name']} <{mailbox['angle']}>"
    if key in _DATE_HEADERS:
        return _standard_date_text(value)
    pattern = _WELL_FORMED.get(key)
    return value if pattern is not None and pattern.fullmatch(value) is not None else None


def _standard_date_text(value: str) -> str | None:
    """A date header as policy.default writes it ("Tue, 01 Dec 2026 10:00:00 +0000"), or
    None to let the parser decide (empty, unreadable or not plain ASCII)."""
    if not value.strip() or not value.isascii() or _CONTROL.search(value):
        return None
    try:
        return format_datetime(parsedate_to_datetime(value))
    except (ValueError, TypeError, OverflowError, IndexError):
        return None


def _unfold(value: str) -> str:
    """What policy.default does to a header's value before parsing it: drop CR and LF."""
    return "".join(_LINE_BREAK.split(value))


_WESTERN = {"us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252"}


def _decode_short(raw: bytes, hint: str | None = None) -> tuple[str, str]:
    """Decode a short undeclared 8-bit string: UTF-8, else the `hint` charset (unless it is
    a Western one, for which Windows-1252 is the better reading), else Windows-1252, else
    latin-1.

    Statistical detection is unreliable on a few words, so headers use this fixed chain.
    """
    hinted = [] if not hint or hint.strip().lower() in _WESTERN else [_superset(hint)]
    for encoding in ("utf-8", *hinted, "cp1252"):
        try:
            if not codecs.lookup(encoding)._is_text_encoding:  # e.g. a "zlib" label
                continue
            return raw.decode(encoding), encoding
        except (LookupError, UnicodeError, ValueError):
            continue
    return raw.decode("latin-1"), "latin-1"


_SURROGATE_ESCAPE = re.compile("[\udc80-\udcff]")


def _has_surrogates(text: str) -> bool:
    """True when the parser kept undecodable bytes as surrogate escapes."""
    return not text.isascii() and _SURROGATE_ESCAPE.search(text) is not None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean_header_value(value: str) -> str:
    value = value.replace("\r", " ").replace("\n", " ")
    return _CONTROL.sub("", value).strip()


_ADDR_SPEC = re.compile(r"[^\s<>\"(),;:@\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


def _addresses(values: tuple[str, ...]) -> list[tuple[str, str]]:
    """Split decoded address header values into (name, address) pairs, tolerant of junk."""
    pairs = []
    try:
        found = getaddresses(list(values))
    except Exception:  # e.g. RecursionError on nested comments; salvaged below.
        found = []
    for name, address in found:
        address = address.strip()
        if address and not _ADDR_SPEC.fullmatch(address):
            salvaged = _ADDR_SPEC.search(address)
            address = salvaged.group(0) if salvaged else ""
        if address:
            pairs.append((name.strip(), address))
    if not pairs:
        for value in values:
            pairs.extend(("", match.group(0)) for match in _ADDR_SPEC.finditer(value))
    return pairs


# RFC 5322 (with RFC 6532's UTF-8): atext, dot-atom, quoted-string, and a domain of
# hostname labels. Comments are removed first; obsolete forms and domain literals are not
# accepted: a sender we cannot read for certain is no sender.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010ffff]"
_DOT_ATOM = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
_QUOTED = r'"(?:[^"\\\r\n]|\\[^\r\n])*"'
_LETTER = r"A-Za-z0-9\u0080-\U0010ffff"
_LABEL = rf"[{_LETTER}](?:[{_LETTER}-]{{0,61}}[{_LETTER}])?"
_STRICT_ADDR = rf"(?:{_DOT_ATOM}|{_QUOTED})@{_LABEL}(?:\.{_LABEL})+"
# A display name: atext, dots and spaces, or quoted strings (possessive: linear time).
_PHRASE = rf"(?:[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~\-\u0080-\U0010ffff.\s]|{_QUOTED})*+"
_STRICT_MAILBOX = re.compile(rf"\s*(?:{_PHRASE}<\s*({_STRICT_ADDR})\s*>|({_STRICT_ADDR}))\s*")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?")


def _without_comments(value: str) -> str | None:
    """The value without its (possibly nested) comments; None if they are unbalanced."""
    out: list[str] = []
    depth = 0
    quoted = escaped = False
    for ch in value:
        if escaped:
            escaped = False
            if not depth:
                out.append(ch)
        elif ch == "\\":
            escaped = True
            if not depth:
                out.append(ch)
        elif quoted:
            out.append(ch)
            quoted = ch != '"'
        elif ch == "(":
            depth += 1
        elif ch == ")":
            if not depth:
                return None
            depth -= 1
        elif not depth:
            quoted = ch == '"'
            out.append(ch)
    return None if depth or quoted or escaped else "".join(out)


def strict_sender(raw_values: list[str]) -> str | None:
    """The actual mailbox of a From header, read strictly from its raw (undecoded) value.

    Exactly one From header naming exactly one well-formed mailbox, else None. The display
    name never supplies the address, and encoded-words are not decoded (RFC 2047 forbids them
    in an address, so `=?utf-8?q?student@example.ac.uk?=` is no address at all).
    """
    if len(raw_values) != 1:
        return None
    raw = raw_values[0]
    if _has_surrogates(raw):  # undeclared 8-bit: UTF-8 (RFC 6532), else unreadable bytes
        raw = raw.encode("ascii", "surrogateescape").decode("utf-8", "replace")
    value = _without_comments(_unfold(raw))
    if value is None:
        return None
    found = _STRICT_MAILBOX.fullmatch(value)
    if found is None:
        return None
    address = found.group(1) or found.group(2)
    local, _, domain = address.rpartition("@")
    if _ENCODED_WORD.search(local) or "\ufffd" in address or len(address) > 320:
        return None
    return f"{local}@{domain.lower()}"


def _msg_ids(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    ids = re.findall(r"<[^<>\s]+>", value)
    if ids:
        return tuple(ids)
    return tuple(token for token in value.split() if token)


def _return_path(values: tuple[str, ...]) -> str | None:
    """Return the envelope sender recorded at delivery: None absent, "" for null (<>)."""
    if not values:
        return None
    value = values[0].strip()
    if value in ("<>", ""):
        return ""
    _, address = parseaddr(value)
    if not address or address == "<>":
        return ""
    return address


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except Exception:  # unparseable dates are common in spam and bounces.
        return None


# --------------------------------------------------------------------------------------------
# Bodies.


def decode_text(
    payload: bytes, declared: str | None, limits: Limits = DEFAULT_LIMITS
) -> tuple[str, str | None]:
    """Decode body bytes to text with a fallback chain; return (text, note or None).

    Declared charset (if Python knows it as a text encoding and the bytes fit) → charset
    detection with charset-normalizer → latin-1 (which decodes any byte). Without a declared
    charset, ASCII and then UTF-8 are tried before detection.
    """
    candidates: list[str] = []
    if declared:
        candidates.append(_superset(declared))
    else:
        candidates.extend(["ascii", "utf-8"])
    for name in candidates:
        try:
            if not codecs.lookup(name)._is_text_encoding:  # e.g. "zlib".
                raise LookupError(name)
            return payload.decode(name), None
        except (LookupError, UnicodeError, ValueError):
            continue
    reason = (
        f"declared charset {declared!r} is unknown or does not fit the text"
        if declared
        else "no charset was declared for 8-bit text"
    )
    try:
        best = _detect(payload[: limits.charset_detection_bytes])
    except Exception:
        best = None
    if best is not None and best.encoding:
        return (
            payload.decode(best.encoding, errors="replace"),
            f"Body text: {reason}; decoded as {best.encoding} (detected).",
        )
    return payload.decode("latin-1", errors="replace"), f"Body text: {reason}; decoded as latin-1."


_PREFERRED_ENCODINGS = ("utf_8", "cp1252", "latin_1", "iso8859_15")
"""On a tie, prefer the encodings most mail to a UK university is written in."""


def _detect(payload: bytes):
    """Return charset-normalizer's best match, preferring Western encodings on a near tie.

    On short text several single-byte code pages fit equally well (cp1250 and cp1252 both
    decode French, differently); picking cp1252 there is right far more often.
    """
    matches = list(charset_normalizer.from_bytes(payload))
    if not matches:
        return None
    best = matches[0]
    for match in matches:
        if (
            match.percent_chaos <= best.percent_chaos
            and match.percent_coherence >= best.percent_coherence - 5
            and set(match.could_be_from_charset) & set(_PREFERRED_ENCODINGS)
        ):
            return match
    return best


_BLOCK_TAGS = [
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
    "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
]  # fmt: skip
_DROP_TAGS = ["script", "style", "head", "title", "template", "noscript", "svg", "iframe", "object"]


def html_is_manageable(html: str, limits: Limits = DEFAULT_LIMITS) -> bool:
    """True when HTML is small and simple enough for BeautifulSoup and nh3.

    Both slow down much faster than linearly on some shapes of HTML (BeautifulSoup takes 7 s
    for 240 KB of "<p>a</p><br>", 8 s for 8,000 nested <div>; nh3 stalls on a million nested
    elements), so the number of tags and the size are capped.
    """
    return len(html) <= limits.max_html_parse_bytes and html.count("<") <= limits.max_html_tags


def html_to_text(html: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """Convert HTML to readable plain text with a real HTML parser (BeautifulSoup).

    Scripts, styles and the document head are dropped; block elements become line breaks;
    runs of blank lines and spaces are collapsed. HTML that is not `html_is_manageable` is
    reduced to text by removing tags with a linear pattern instead.
    """
    if not html_is_manageable(html, limits):
        return _html_to_text_crude(html)
    from bs4 import BeautifulSoup  # noqa: PLC0415 - heavy, loaded only when HTML mail is read

    soup = BeautifulSoup(html, "html.parser")
    # Strings inside script, style and template are not "interesting" to get_text(); the
    # rest are removed (few in real mail, and capped so removal cannot become slow).
    for tag in soup.find_all(_DROP_TAGS, limit=100):
        tag.decompose()
    # Newlines go inside each block (not beside it): inserting among siblings is linear in
    # their number, inside a small element it is cheap.
    for tag in soup.find_all(_BLOCK_TAGS):
        if tag.name not in ("br", "hr"):
            tag.insert(0, "\n")
        tag.append("\n")
    return _tidy_text(soup.get_text())


_BLOCK_BOUNDARY = re.compile(r"<(?:/?(?:" + "|".join(_BLOCK_TAGS) + r"))\b[^<>]*>", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^<>]*>")


def _html_to_text_crude(html: str) -> str:
    """Text from hostile or huge HTML in linear time: tags removed, blocks become lines.

    Script and style text is not recognised here; this path is for messages staff will
    look at by hand anyway.
    """
    text = _BLOCK_BOUNDARY.sub("\n", html)
    text = _ANY_TAG.sub("", text)
    return _tidy_text(html_module.unescape(text))


def _tidy_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    lines = [re.sub(r"[ \t\f\v]+", " ", line).strip() for line in text.split("\n")]
    tidy = "\n".join(lines)
    tidy = re.sub(r"\n{3,}", "\n\n", tidy)
    return tidy.strip()


_ALLOWED_HTML_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "q", "s", "small",
    "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u",
    "ul",
}  # fmt: skip
_ALLOWED_HTML_ATTRIBUTES = {
    "a": {"href", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}


def sanitize_html(html: str) -> str:
    """Clean HTML for staff display: an allowlist of tags, links only to https and mailto.

    Images are not allowed (remote images are trackers; inline ones are attachments), nor
    are styles, forms or scripts.
    """
    cleaned = nh3.clean(
        html,
        tags=_ALLOWED_HTML_TAGS,
        clean_content_tags={"script", "style", "head", "title", "template", "noscript"},
        attributes=_ALLOWED_HTML_ATTRIBUTES,
        url_schemes={"https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return cleaned.strip()


@functools.cache
def _bounded_reply_message() -> type:
    """email-reply-parser with its multi-line "On ... wrote:" search bounded.

    Upstream's pattern, `(?!On.*On\\s.+?wrote:)(On\\s(.+?)wrote:)` with DOTALL, backtracks
    over every later "On" for every "On": 18 KB of "On a day " takes about two minutes. This
    one finds the same header (the nearest "On" before "wrote:") within 400 characters, in
    linear time. Everything else is the library's.
    """
    from email_reply_parser import (  # noqa: PLC0415 - loaded only when mail is read
        EmailMessage as ReplyMessage,
    )

    class BoundedReplyMessage(ReplyMessage):
        _BOUNDED = r"(On\s((?:(?!On\s).){0,400}?)wrote:)"
        MULTI_QUOTE_HDR_REGEX = re.compile(_BOUNDED, re.DOTALL | re.MULTILINE)
        MULTI_QUOTE_HDR_REGEX_MULTILINE = re.compile(_BOUNDED, re.DOTALL)

    return BoundedReplyMessage


def trim_reply(text: str) -> str:
    """Remove quoted replies and signatures (email-reply-parser); fall back to the text."""
    parser = _bounded_reply_message()
    try:
        trimmed = parser(text).read().reply
    except Exception:
        return text
    return trimmed.strip() or text.strip()


# --------------------------------------------------------------------------------------------
# Attachments.

_UNSAFE_FILENAME = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {
    f"{p}{n}" for p in ("com", "lpt") for n in range(10)
}


def sanitize_filename(name: str | None, max_chars: int = DEFAULT_LIMITS.max_filename_chars) -> str:
    """Make an attachment filename safe to offer as a download.

    Keeps only the last path component (both / and \\ separate), drops control and
    formatting characters (including right-to-left overrides), characters Windows forbids and
    leading dots, and caps the length while keeping the extension.
    """
    if not name:
        return "attachment"
    name = unicodedata.normalize("NFC", str(name))
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    name = _UNSAFE_FILENAME.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    if not name or name in (".", ".."):
        return "attachment"
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if stem.lower() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    if ext and len(ext) > 10:
        stem, ext = f"{stem}.{ext}", ""
    ext = f".{ext}" if ext else ""
    stem = stem[: max(1, max_chars - len(ext))]
    return f"{stem}{ext}"


_EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "text/plain": (".txt", ".text"),
}


def _with_extension(filename: str, mime: str) -> str:
    """Make the extension agree with the detected content (a PDF named .exe becomes .pdf)."""
    extensions = _EXTENSIONS.get(mime)
    if not extensions or filename.lower().endswith(extensions):
        return filename
    stem, dot, _ext = filename.rpartition(".")
    return f"{stem if dot else filename}{extensions[0]}"


def _sniff(content: bytes) -> str | None:
    kind = filetype.guess(content[:8192]) if content else None
    if kind is not None:
        return kind.mime
    if content and b"\x00" not in content[:65536]:
        try:
            content[:65536].decode("utf-8")
            return "text/plain"
        except UnicodeDecodeError:
            pass
        best = charset_normalizer.from_bytes(content[:16384]).best()
        if best is not None:
            return "text/plain"
    return None


_SNIFF_BYTES = 65536
"""How much of an attachment's start `_sniff` reads (it never looks further)."""
_BASE64_CHUNK_CHARS = 1024 * 1024
_BASE64_ALPHABET = re.compile(rb"[A-Za-z0-9+/]*")


@dataclass(frozen=True, slots=True)
class _Decoded:
    """What is read of an attachment's decoded bytes: their size, first `_SNIFF_BYTES`,
    SHA-256, and the bytes themselves only when they are within the attachment limit."""

    size: int
    head: bytes
    sha256: str
    content: bytes | None


def _decoded(content: bytes, limits: Limits) -> _Decoded:
    return _Decoded(
        size=len(content),
        head=content[:_SNIFF_BYTES],
        sha256=_sha256(content),
        content=content if len(content) <= limits.max_attachment_bytes else None,
    )


def _streamed_base64(
    payload: object, limits: Limits, chunk_chars: int = _BASE64_CHUNK_CHARS
) -> _Decoded | None:
    """Decode a clean base64 payload a piece at a time, keeping the bytes only when they are
    within the attachment limit; None when the payload is not clean base64.

    Gives exactly what `get_payload(decode=True)` gives, without holding the encoded text's
    copies (bytes, lines, joined lines, padded) and the decoded bytes all at once: a 7 MB
    attachment cost about 40 MB that way. Clean means what the standard library decodes
    strictly (ASCII, only the base64 alphabet besides line breaks, padding only at the end, a
    length that needs no padding added); anything else goes to the standard library, which
    repairs it and records the defect.
    """
    if not isinstance(payload, str) or not payload.isascii():
        return None
    digest = hashlib.sha256()
    size = 0
    head = b""
    kept: list[bytes] | None = []
    carry = b""
    for start in range(0, len(payload), chunk_chars):
        # The standard library joins the payload's lines: the same as dropping CR and LF.
        data = carry + payload[start : start + chunk_chars].encode("ascii").translate(None, b"\r\n")
        if start + chunk_chars >= len(payload):
            if len(data) % 4:
                return None  # padding would be added, with a defect: the library's job
            cut = len(data)
        else:
            padding = data.find(b"=")
            end = len(data) if padding < 0 else padding
            cut = end - end % 4
            if not _BASE64_ALPHABET.fullmatch(data, 0, cut):
                return None
            if padding >= 0 and len(data) - cut > 4:
                return None  # data after the padding: not clean
        carry = data[cut:]
        try:
            piece = binascii.a2b_base64(data[:cut], strict_mode=True)
        except binascii.Error:
            return None
        digest.update(piece)
        size += len(piece)
        if len(head) < _SNIFF_BYTES:
            head += piece[: _SNIFF_BYTES - len(head)]
        if kept is not None:
            kept.append(piece)
            if size > limits.max_attachment_bytes:
                kept = None  # over the limit: the bytes are not kept
    return _Decoded(size, head, digest.hexdigest(), b"".join(kept) if kept is not None else None)


def _attachment_bytes(part: Message, limits: Limits) -> _Decoded:
    """An attachment's decoded bytes as `_Decoded`. A base64 payload that may be over the
    attachment limit is decoded a piece at a time (`_streamed_base64`)."""
    payload = _safe(lambda: part.get_payload(), None)
    if (
        isinstance(payload, str)
        and len(payload) * 3 // 4 > limits.max_attachment_bytes
        and _safe(lambda: str(part.get("content-transfer-encoding", "")).lower(), "") == "base64"
    ):
        streamed = _safe(lambda: _streamed_base64(payload, limits), None)
        if streamed is not None:
            return streamed
    content = _safe(lambda: part.get_payload(decode=True), b"") or b""
    if not isinstance(content, bytes):
        content = b""
    return _decoded(content, limits)


def _attachment(part: Message, limits: Limits) -> Attachment:
    declared = _safe(lambda: part.get_content_type(), "application/octet-stream")
    raw_name = _safe(lambda: part.get_filename(), None)
    filename = sanitize_filename(raw_name, limits.max_filename_chars)
    decoded = _attachment_bytes(part, limits)
    size = decoded.size
    sniffed = _sniff(decoded.head)
    if size == 0:
        allowed, reason = False, "empty attachment"
    elif size > limits.max_attachment_bytes:
        allowed, reason = (
            False,
            f"{_human_size(size)} is over the attachment limit of "
            f"{_human_size(limits.max_attachment_bytes)}",
        )
    elif sniffed in ALLOWED_ATTACHMENT_TYPES:
        allowed, reason = True, f"content is {sniffed}"
        filename = _with_extension(filename, sniffed)
    elif sniffed is None:
        allowed, reason = False, "content type could not be recognised"
    else:
        allowed, reason = False, f"content is {sniffed}, which is not an allowed type"
    return Attachment(
        filename=filename,
        size=size,
        declared_type=declared,
        sniffed_type=sniffed,
        allowed=allowed,
        reason=reason,
        content=decoded.content if allowed else None,
        sha256=decoded.sha256,
    )


def _safe(call, default):
    try:
        return call()
    except Exception:  # a broken part header must not lose the message.
        return default


def _is_attachment(part: Message) -> bool:
    disposition = _safe(lambda: part.get_content_disposition(), None)
    if disposition == "attachment":
        return True
    if _safe(lambda: part.get_filename(), None):
        return True
    maintype = _safe(lambda: part.get_content_maintype(), "text")
    return maintype not in ("text", "multipart", "message")


# --------------------------------------------------------------------------------------------
# The entry point.


def parse_message(raw: bytes, limits: Limits = DEFAULT_LIMITS) -> ParsedMessage | Quarantined:
    """Parse one message safely; never raises.

    Returns a `ParsedMessage`, or `Quarantined` with a code and a reason for staff when the
    message breaks a limit or cannot be parsed at all.
    """
    sha256 = _sha256(raw)
    size = len(raw)
    try:
        refused = _precheck(raw, limits)
        if refused is not None:
            code, reason = refused
            return Quarantined(code, reason, sha256, size, extract_message_id(raw, limits))
        return _parse(raw, sha256, size, limits)
    except RecursionError:
        return Quarantined(
            QuarantineCode.UNPARSEABLE,
            "The message is nested too deeply to be read; it was stored but not opened.",
            sha256,
            size,
            _safe(lambda: extract_message_id(raw, limits), None),
        )
    except Exception as exc:  # every failure becomes a quarantine reason.
        return Quarantined(
            QuarantineCode.UNPARSEABLE,
            f"The message could not be read ({type(exc).__name__}: {str(exc)[:200]}); "
            "it was stored but not opened.",
            sha256,
            size,
            _safe(lambda: extract_message_id(raw, limits), None),
        )


class _OncePerMessageHeaders(HeaderRegistry):
    """The standard header registry, building each distinct header of one message once.

    With policy.default every `part.get(...)` (and so every get_content_type, get_param,
    get_filename) parses the header again; the parser, our walk, the classifier and
    flufl.bounce ask for each part's Content-Type a dozen times. Header objects are
    immutable, so handing back the one already built gives the same results. One registry
    per message: no header built is shared between messages (only the header classes,
    which hold no state), and what it holds is bounded by the header caps checked before
    parsing.
    """

    _classes: dict[str, type[BaseHeader]] = {}

    def __init__(self) -> None:
        super().__init__()
        self._built: dict[tuple[str, str], BaseHeader] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        # The standard registry makes a new class for every header it builds (~40 µs);
        # the classes hold no state, so one per header name serves every message.
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls

    def __call__(self, name: str, value: str) -> BaseHeader:
        key = (name, value)
        header = self._built.get(key)
        if header is None:
            header = self._built[key] = super().__call__(name, value)
        return header


_FEED_CHUNK_BYTES = 64 * 1024


def _message_from_bytes(raw: bytes, policy: email.policy.Policy) -> EmailMessage:
    """`email.message_from_bytes`, fed a piece at a time.

    The same parser gives the same message (`message_from_bytes` also feeds it pieces, of
    the whole message decoded to text first and copied into a StringIO at four bytes a
    character: about 50 MB more for a 10 MB message); the bytes decode as they do whole,
    since ASCII with surrogate escapes decodes each byte on its own.
    """
    parser = email.parser.BytesFeedParser(policy=policy)
    for start in range(0, len(raw), _FEED_CHUNK_BYTES):
        parser.feed(raw[start : start + _FEED_CHUNK_BYTES])
    return parser.close()


def _parse(raw: bytes, sha256: str, size: int, limits: Limits) -> ParsedMessage | Quarantined:
    policy = email.policy.default.clone(header_factory=_OncePerMessageHeaders())
    msg = _message_from_bytes(raw, policy)
    parts, refused = _walk(msg, limits)
    if refused is not None:
        code, reason = refused
        return Quarantined(
            code,
            f"{reason}; it was stored but not opened.",
            sha256,
            size,
            extract_message_id(raw, limits),
        )

    headers, notes = _collect_headers(msg, _body_charset(parts))

    def first(name: str) -> str | None:
        values = headers.get(name)
        return values[0] if values else None

    from_pairs = _addresses(headers.get("from", ()))
    from_name, from_address = from_pairs[0] if from_pairs else ("", "")
    if not from_pairs and headers.get("from"):
        notes.append("The From header has no usable address.")

    plain: str | None = None
    html: str | None = None
    attachments: list[Attachment] = []
    for part, _depth in parts:
        if part.is_multipart():
            continue
        if _is_attachment(part):
            attachments.append(_attachment(part, limits))
            continue
        ctype = _safe(lambda p=part: p.get_content_type(), "text/plain")
        if ctype not in ("text/plain", "text/html"):
            # A top-level text/* of another subtype, or a multipart the parser could not split
            # (no boundary): show its content as plain text rather than lose it.
            if part is msg and ctype.startswith(("text/", "multipart/")):
                ctype = "text/plain"
            else:
                continue
        if (ctype == "text/plain" and plain is not None) or (ctype == "text/html" and html):
            continue
        payload = _safe(lambda p=part: p.get_payload(decode=True), b"") or b""
        if not isinstance(payload, bytes):
            payload = str(payload).encode("utf-8", "replace")
        charset = _safe(lambda p=part: p.get_content_charset(), None)
        text, note = decode_text(payload, charset, limits)
        if note:
            notes.append(note)
        if ctype == "text/plain":
            plain = text
        else:
            html = text

    if plain is not None and plain.strip():
        body_text, body_source = _tidy_text(plain), "plain"
    elif html is not None:
        body_text, body_source = html_to_text(html, limits), "html"
    elif plain is not None:
        body_text, body_source = "", "plain"
    else:
        body_text, body_source = "", "none"

    sanitized: str | None = None
    if html is not None:
        if html_is_manageable(html, limits):
            sanitized = sanitize_html(html)
        else:
            notes.append(
                "The HTML part is too large or complex to display safely; only its text is shown."
            )

    defects = {type(defect).__name__ for part, _ in parts for defect in part.defects}
    if defects:
        notes.append("MIME problems repaired while reading: " + ", ".join(sorted(defects)) + ".")

    auth_results = headers.get("authentication-results", ())
    return ParsedMessage(
        sha256=sha256,
        size=size,
        message_id=(_msg_ids(first("message-id")) or (None,))[0],
        subject=first("subject") or "",
        from_name=from_name,
        from_address=from_address,
        from_addresses=tuple(address for _, address in from_pairs),
        sender=strict_sender(
            [str(value) for name, value in msg.raw_items() if name.lower() == "from"]
        ),
        to=tuple(address for _, address in _addresses(headers.get("to", ()))),
        cc=tuple(address for _, address in _addresses(headers.get("cc", ()))),
        reply_to=tuple(address for _, address in _addresses(headers.get("reply-to", ()))),
        date=_date(first("date")),
        in_reply_to=(_msg_ids(first("in-reply-to")) or (None,))[0],
        references=_msg_ids(" ".join(headers.get("references", ()))),
        return_path=_return_path(headers.get("return-path", ())),
        authentication_results=auth_results,
        auto_submitted=first("auto-submitted"),
        content_type=_safe(lambda: msg.get_content_type(), "text/plain"),
        headers=headers,
        body_text=body_text,
        body_trimmed=trim_reply(body_text) if body_text else "",
        body_source=body_source,
        sanitized_html=sanitized,
        attachments=tuple(attachments),
        part_count=len(parts),
        depth=max(depth for _, depth in parts),
        notes=tuple(notes),
        email=msg,
    )
