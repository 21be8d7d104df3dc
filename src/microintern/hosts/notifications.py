"""Emails to host contacts, through the outbox."""

from django.conf import settings
from django.urls import reverse

from microintern.mail.outbox import queue_email


def host_link(path_name: str = "hosts:home", *args) -> str:
    base = settings.MICROINTERN.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    return base + reverse(path_name, args=args)


def queue_host_email(
    contact,
    role: str,
    *,
    challenge=None,
    mi=None,
    link: str = "",
    attachments=None,
    dedupe_key=None,
):
    """Put the email `role` to the host contact in the outbox (sent after commit)."""
    challenge = challenge or (mi.challenge if mi is not None else None)
    return queue_email(
        role,
        to=contact.email,
        context={
            "contact": contact,
            "organisation": contact.organisation,
            "challenge": challenge,
            "mi": mi,
            "link": link or host_link(),
        },
        person=contact,
        about=mi or challenge,
        attachments=attachments,
        dedupe_key=dedupe_key,
    )
