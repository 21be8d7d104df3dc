"""Building inbound messages for tests."""

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone


def eoi(
    *,
    sender: str = "a.pereira@student.example.ac.uk",
    envelope: str | None = None,
    subject: str = "Interest in MI-2026-007",
    body: str = "Hello,\n\nI would like to take part: I look after my brother most afternoons.\n\n"
    "Best wishes,\nAna",
    message_id: str | None = None,
    headers: dict | None = None,
) -> bytes:
    message = EmailMessage()
    message["Return-Path"] = f"<{envelope if envelope is not None else sender}>"
    message["From"] = sender
    message["To"] = "business-clinic@example.ac.uk"
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="student.example.ac.uk")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()
