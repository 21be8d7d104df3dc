"""Shared helpers for the inbound-mail tests: the hand-written corpus."""

from __future__ import annotations

from pathlib import Path

from microintern.mail.inbound.parse import ParsedMessage, parse_message

CORPUS = Path(__file__).parent / "corpus"
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
