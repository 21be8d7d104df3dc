"""Interpretation of human mail: reference codes, the statement, addresses."""

from __future__ import annotations

import dataclasses

import pytest

from microintern.mail.inbound.interpret import (
    extract_statement,
    find_reference_codes,
    is_university_address,
    normalise_address,
)

from .helpers import parsed


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("MI-2026-007", ["MI-2026-007"]),
        ("mi-2026-007", ["MI-2026-007"]),
        ("mi 2026 7", ["MI-2026-007"]),
        ("MI-2026-07", ["MI-2026-007"]),
        ("MI\u20132026\u201307", ["MI-2026-007"]),
        ("MI \u2014 2026 \u2014 7", ["MI-2026-007"]),
        ("MI2026007", ["MI-2026-007"]),
        ("(MI/2026/12).", ["MI-2026-012"]),
        ("MI-2026-1234", ["MI-2026-1234"]),
        ("MI-2026-007 and MI-2026-7 again", ["MI-2026-007"]),
        ("tsunami 2026 7", []),
        ("MI-1999-007", []),
        ("MI-2026-000", []),
        ("MI-2026-12345", []),
        ("", []),
    ],
)
def test_reference_code_tolerance(text, codes):
    assert find_reference_codes(text, "") == codes


def test_subject_codes_come_before_body_codes():
    assert find_reference_codes("About MI-2026-011", "also mi 2026 9 and MI-2026-011") == [
        "MI-2026-011",
        "MI-2026-009",
    ]


@pytest.mark.parametrize(
    ("name", "codes"),
    [
        ("human_plain_eoi.eml", ["MI-2026-007"]),
        ("human_html_only_eoi.eml", ["MI-2026-012"]),
        ("human_quoted_reply_signature.eml", ["MI-2026-007"]),
        ("human_outlook_reply.eml", ["MI-2026-009", "MI-2026-011"]),
        ("charset_undeclared_8bit_latin1.eml", ["MI-2026-011"]),
    ],
)
def test_codes_in_corpus_messages(name, codes):
    message = parsed(name)
    assert find_reference_codes(message.subject, message.body_trimmed) == codes


def test_quoted_codes_are_not_found_in_the_trimmed_body():
    message = parsed("human_outlook_reply.eml")
    assert "MI-2026-007" in find_reference_codes(message.subject, message.body_text)
    assert "MI-2026-007" not in find_reference_codes(message.subject, message.body_trimmed)


def test_statement_drops_greeting_and_sign_off():
    statement = extract_statement(parsed("human_plain_eoi.eml"))
    assert statement.text.startswith("I'd like to take part in the social media strategy")
    assert statement.text.endswith("for our student society for a year.")
    assert statement.word_count == 49
    assert not statement.over_limit


def test_statement_from_html_only_message():
    statement = extract_statement(parsed("human_html_only_eoi.eml"))
    assert statement.text.startswith("I am interested in mi 2026 12")
    assert "Kwame" not in statement.text
    assert "Thanks" not in statement.text


def test_statement_from_reply_excludes_quote_and_signature():
    statement = extract_statement(parsed("human_quoted_reply_signature.eml"))
    assert statement.text == (
        "Yes, that's right, I can do the 24th. I also use a wheelchair, is the venue step-free?"
    )
    assert statement.word_count == 17


def test_long_statement_is_kept_whole_and_flagged():
    message = parsed("human_long_statement.eml")
    statement = extract_statement(message)
    assert statement.over_limit
    assert statement.word_count == 184
    assert statement.word_limit == 150
    assert statement.text.endswith("because because because")
    assert not statement.text.startswith("Hello")
    assert extract_statement(message, word_limit=200).over_limit is False


def test_statement_that_is_only_a_greeting_is_kept():
    message = parsed("human_plain_eoi.eml")
    only = dataclasses.replace(message, body_text="Hi", body_trimmed="Hi")
    assert extract_statement(only).text == "Hi"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  A.Pereira@Student.Example.AC.UK ", "a.pereira@student.example.ac.uk"),
        ("Ana Pereira <A.Pereira@student.example.ac.uk>", "a.pereira@student.example.ac.uk"),
        ("<s@x.test>", "s@x.test"),
        ("not an address", ""),
        ("", ""),
    ],
)
def test_normalise_address(raw, expected):
    assert normalise_address(raw) == expected


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("a.pereira@example.ac.uk", True),
        ("a.pereira@student.example.ac.uk", True),
        ("A.Pereira@STUDENT.EXAMPLE.AC.UK", True),
        ("someone@example.ac.uk.evil.test", False),
        ("someone@notexample.ac.uk", False),
        ("someone@gmail.com", False),
        ("garbage", False),
    ],
)
def test_is_university_address(address, expected):
    assert is_university_address(address, ["example.ac.uk", "@partner.example"]) is expected
