"""XOAUTH2 (as Microsoft 365 requires) against Dovecot's oauth2 passdb, whose token
introspection is answered by a tiny local HTTP server."""

import json
import os
import shutil
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from microintern.mail.inbound import imap
from microintern.mail.inbound.enums import AuthMethod, MessageState, Security
from microintern.mail.inbound.models import InboundMessage, Mailbox

from . import dovecot as dovecot_server
from .helpers import eoi

pytestmark = [pytest.mark.imap, pytest.mark.django_db]
GOOD_TOKEN = "good-token-for-the-clinic"


class Introspection(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_POST(self):  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        token = parse_qs(body).get("token", [""])[0]
        Introspection.seen.append(token)
        answer = (
            {"active": "true", "username": dovecot_server.USER}
            if token == GOOD_TOKEN
            else {"active": "false"}
        )
        payload = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def oauth_dovecot():
    if not dovecot_server.available():
        if os.environ.get("CI") == "true":
            pytest.fail("Dovecot is not installed (apt-get install dovecot-imapd dovecot-core)")
        pytest.skip("Dovecot is not installed (/usr/sbin/dovecot); CI installs it")
    http = HTTPServer(("127.0.0.1", 0), Introspection)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    tmp = Path(tempfile.mkdtemp(prefix="microintern-dovecot-oauth-"))
    server = dovecot_server.Dovecot(
        tmp,
        dovecot_server.free_port(),
        oauth2_introspection_url=f"http://127.0.0.1:{http.server_address[1]}/introspect",
    )
    server.start()
    yield server
    server.stop()
    http.shutdown()
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def oauth_mailbox(oauth_dovecot):
    return Mailbox.objects.create(
        name="m365",
        host="127.0.0.1",
        port=oauth_dovecot.port,
        security=Security.NONE,
        username=oauth_dovecot.user,
        auth=AuthMethod.OAUTH2,
        tenant_id="tenant",
        client_id="client",
        secret_env="UNUSED_IN_THIS_TEST",
    )


def test_a_poll_with_an_oauth2_token(oauth_dovecot, oauth_mailbox, corpus_world):
    oauth_dovecot.deliver(eoi(), sender="a.pereira@student.example.ac.uk")
    result = imap.poll(oauth_mailbox, token=GOOD_TOKEN)
    assert result.error == "" and result.fetched == 1
    assert GOOD_TOKEN in Introspection.seen
    assert InboundMessage.objects.get().state == MessageState.INTEREST_CREATED


def test_a_refused_token_is_recorded_for_staff(oauth_dovecot, oauth_mailbox):
    result = imap.poll(oauth_mailbox, token="expired-token")
    assert result.error and result.fetched == 0
    oauth_mailbox.refresh_from_db()
    assert oauth_mailbox.last_error and oauth_mailbox.lease_expires_at is None
