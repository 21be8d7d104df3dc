"""Helpers for the student-journey tests: post while running after-commit work (so emails
are really sent through the outbox to Django's test mailbox), and find links in emails."""

import re

from django.core import mail

LINK = re.compile(r"https?://\S+")


def emails_to(address: str):
    return [m for m in mail.outbox if address in m.to]


def last_email_to(address: str):
    found = emails_to(address)
    assert found, f"no email to {address}; sent: {[(m.to, m.subject) for m in mail.outbox]}"
    return found[-1]


def link_in(message, path_part: str) -> str:
    """The path of the first link in the email whose URL contains `path_part`."""
    for url in LINK.findall(message.body):
        if path_part in url:
            return re.sub(r"^https?://[^/]+", "", url)
    raise AssertionError(f"no link with {path_part!r} in:\n{message.body}")
