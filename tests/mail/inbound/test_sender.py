"""Who sent a message: the actual mailbox of a single, well-formed From address, never a
display name, an encoded-word or a repaired address (property tests with hostile headers)."""

from __future__ import annotations

import base64
from email.header import Header

from hypothesis import given, settings
from hypothesis import strategies as st

from microintern.mail.inbound.parse import ParsedMessage, parse_message, strict_sender

ATEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-"
LOCAL = st.text(alphabet=ATEXT, min_size=1, max_size=20).filter(
    lambda s: "=?" not in s and "?=" not in s
)
LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
DOMAIN = st.lists(LABEL, min_size=2, max_size=4).map(".".join)
ADDRESS = st.builds(lambda local, domain: f"{local}@{domain}", LOCAL, DOMAIN)
VICTIM = "student@example.ac.uk"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@given(name=st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=60), addr=ADDRESS)
def test_a_quoted_display_name_never_supplies_the_address(name, addr):
    sender = strict_sender([f"{_quoted(name + ' ' + VICTIM)} <{addr}>"])
    local, _, domain = addr.rpartition("@")
    assert sender == f"{local}@{domain.lower()}"


@given(addr=ADDRESS, encoding=st.sampled_from(["q", "b"]))
def test_an_address_inside_an_encoded_word_is_no_address(addr, encoding):
    if encoding == "b":
        word = f"=?utf-8?b?{base64.b64encode(VICTIM.encode()).decode()}?="
    else:
        word = f"=?utf-8?q?{VICTIM}?="
    assert strict_sender([word]) is None
    assert strict_sender([f"{word.replace('@', '=40')}@{addr.rpartition('@')[2]}"]) is None
    # As a display name it is only a name: the mailbox is the one in brackets (or none, for a
    # q-encoded word with an unencoded "@", which RFC 2047 does not allow in a name).
    assert strict_sender([f"{word} <{addr}>"]) in (None, strict_sender([addr]))


@given(addr=ADDRESS)
def test_an_unquoted_address_as_a_name_makes_the_header_malformed(addr):
    assert strict_sender([f"{VICTIM} <{addr}>"]) is None


@given(first=ADDRESS, second=ADDRESS, separator=st.sampled_from([", ", ",", " , ", ";"]))
def test_several_addresses_are_no_sender(first, second, separator):
    assert strict_sender([f"{first}{separator}{second}"]) is None
    assert strict_sender([first, second]) is None  # two From headers


@settings(max_examples=200)
@given(value=st.text(max_size=400))
def test_any_header_gives_no_sender_or_one_written_in_it(value):
    sender = strict_sender([value])
    if sender is not None:
        local, _, domain = sender.rpartition("@")
        assert local in value and domain in value.lower()
        assert "=?" not in local


@settings(max_examples=30, deadline=1000)
@given(
    unit=st.sampled_from(["a", "a ", "(", '"', "a.", "<", "=?utf-8?q?a?= "]), n=st.integers(1, 8000)
)
def test_long_hostile_headers_are_read_quickly(unit, n):
    value = (unit * n)[:8000]
    assert strict_sender([value]) is None or "@" in value


def test_the_parsed_message_keeps_the_lenient_reading_for_display_only():
    raw = (
        f"From: {VICTIM} <attacker@evil.example>\r\nTo: clinic@example.ac.uk\r\n"
        "Subject: hi\r\n\r\nhello"
    ).encode()
    message = parse_message(raw)
    assert isinstance(message, ParsedMessage)
    assert message.sender is None
    encoded = str(Header(VICTIM, "utf-8").encode())
    spoof = parse_message(f"From: {encoded}\r\nSubject: hi\r\n\r\nhello".encode())
    assert isinstance(spoof, ParsedMessage) and spoof.sender is None


def test_well_formed_senders_are_read_as_written():
    assert strict_sender(['"Pereira, Ana" <A.Pereira@Student.Example.AC.UK>']) == (
        "A.Pereira@student.example.ac.uk"
    )
    assert strict_sender(["ana@example.ac.uk (Ana Pereira)"]) == "ana@example.ac.uk"
    assert strict_sender(["=?utf-8?q?Ana_P=C3=A9reira?= <ana@example.ac.uk>"]) == (
        "ana@example.ac.uk"
    )
    assert strict_sender(['"ana pereira"@example.ac.uk']) == '"ana pereira"@example.ac.uk'
    assert strict_sender(["Ana <ana@[192.0.2.1]>"]) is None  # domain literals are not read
    assert strict_sender(["undisclosed-recipients:;"]) is None
