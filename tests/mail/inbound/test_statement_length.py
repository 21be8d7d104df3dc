"""An emailed statement over the character limit is kept whole, with the raw email, and flagged."""

import pytest

from microintern.mail.inbound import pipeline, store
from microintern.mail.inbound.enums import MessageState

from .helpers import eoi

pytestmark = pytest.mark.django_db


def test_a_huge_one_word_emailed_statement_is_kept_whole_and_flagged(corpus_world):
    word = "a" * 1_500_000
    stored = store.store_message(eoi(body=word))
    pipeline.process_message(stored.message.pk)
    message = stored.message
    message.refresh_from_db()
    assert message.state == MessageState.INTEREST_CREATED
    assert message.statement_over_limit and message.interest.statement_over_limit
    assert message.interest.statement == word
    assert len(message.raw_bytes) > 1_500_000
    assert "longer than the character limit (kept whole)" in message.reason
