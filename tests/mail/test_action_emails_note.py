"""The note staff read right after an action that emailed people: one sentence, as it
reads on the page (whitespace collapsed as a browser does), for each mix of states."""

import re

import pytest
from django.template.loader import render_to_string
from django.utils.html import strip_tags

from microintern.mail.outbox import ActionEmails


def sentence(**counts) -> str:
    summary = ActionEmails(key="k" * 32, total=sum(counts.values()), **counts)
    html = render_to_string(
        "mail/staff/_action_emails.html", {"summary": summary, "next": "/staff/"}
    )
    paragraph = re.search(r"<p>(.*?)</p>", html, re.S).group(1)
    return " ".join(strip_tags(paragraph).split())


@pytest.mark.parametrize(
    ("counts", "reads"),
    [
        (
            {"queued": 2, "held": 0, "on_its_way": 0, "discarded": 0},
            "This action queued 2 emails: 2 still queued.",
        ),
        (
            {"queued": 0, "held": 1, "on_its_way": 0, "discarded": 0},
            "This action queued 1 email: 1 held back.",
        ),
        (
            {"queued": 1, "held": 1, "on_its_way": 2, "discarded": 3},
            "This action queued 7 emails: 1 still queued, 2 sent or being sent "
            "(too late to hold back), 1 held back, 3 discarded.",
        ),
    ],
)
def test_the_note_is_one_sentence_with_no_space_before_its_full_stop(counts, reads):
    assert sentence(**counts) == reads
