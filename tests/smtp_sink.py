"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it accepts.

`smtp_sink` starts one per test on a free port and points Django's SMTP backend at it.
Behaviour can be changed while it runs: `refuse[address] = (code, text)` refuses a
recipient; `rcpt_delay` / `data_delay` make the server slow at RCPT or after DATA.
"""

import asyncio
import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self):
        return email.message_from_bytes(self.raw, policy=email.policy.default)

    @property
    def message_id(self) -> str:
        return self.message["Message-ID"]

    @property
    def subject(self) -> str:
        return self.message["Subject"]

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part else ""


@dataclass
class SinkHandler:
    received: list[Received] = field(default_factory=list)
    refuse: dict[str, tuple[int, str]] = field(default_factory=dict)
    rcpt_started: list[str] = field(default_factory=list)
    rcpt_delay: float = 0.0
    data_delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpt_started.append(address)
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        if address in self.refuse:
            code, text = self.refuse[address]
            return f"{code} {text}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]

    def wait_for(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"Only {len(self.received)} of {count} emails arrived")
            time.sleep(0.02)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_sink(settings):
    handler = SinkHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    handler.port = controller.port
    yield handler
    controller.stop()
