"""A throwaway Dovecot IMAP server for tests (see /work/shared/REFERENCE-mail.md).

Its own configuration in a temporary directory: a passwd-file user, Maildir owned by
`nobody`, listening on 127.0.0.1 on a free port, no TLS. Messages are delivered with
dovecot-lda (as the MTA would) or IMAP APPEND.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
LDA = "/usr/lib/dovecot/dovecot-lda"
USER = "clinic@example.ac.uk"
PASSWORD = "secret"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {tmp}/run
state_dir = {tmp}/state
log_path = {tmp}/dovecot.log
info_log_path = {tmp}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
mail_location = maildir:{tmp}/mail/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {tmp}/users
}}
{oauth2_passdb}userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={tmp}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def available() -> bool:
    return Path(DOVECOT).is_file() and Path(LDA).is_file()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


OAUTH2_PASSDB = """\
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {tmp}/oauth2.conf.ext
}}
"""
OAUTH2_CONF = """\
introspection_mode = post
introspection_url = {url}
username_attribute = username
active_attribute = active
active_value = true
"""


@dataclass
class Dovecot:
    """`oauth2_introspection_url`: also accept XOAUTH2 tokens, checked by POSTing them to
    that URL (RFC 7662 introspection), as Microsoft 365 does with its own tokens."""

    tmp: Path
    port: int
    user: str = USER
    password: str = PASSWORD
    oauth2_introspection_url: str | None = None

    @property
    def conf(self) -> Path:
        return self.tmp / "dovecot.conf"

    def start(self) -> None:
        for sub in ("run", "state", "mail"):
            (self.tmp / sub).mkdir(parents=True, exist_ok=True)
        oauth2 = self.oauth2_introspection_url
        if oauth2:
            (self.tmp / "oauth2.conf.ext").write_text(OAUTH2_CONF.format(url=oauth2))
        self.conf.write_text(
            CONFIG.format(
                tmp=self.tmp,
                port=self.port,
                mechanisms="plain login xoauth2 oauthbearer" if oauth2 else "plain",
                oauth2_passdb=OAUTH2_PASSDB.format(tmp=self.tmp) if oauth2 else "",
            )
        )
        (self.tmp / "users").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        shutil.chown(self.tmp / "mail", "nobody", "nogroup")
        os.chmod(self.tmp, 0o755)  # noqa: S103 - Dovecot's mail processes run as nobody
        subprocess.run(
            [DOVECOT, "-c", str(self.conf)],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"Dovecot did not start: {self.log()}")

    def stop(self) -> None:
        pid_file = self.tmp / "run" / "master.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().strip())
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.05)

    def log(self) -> str:
        log = self.tmp / "dovecot.log"
        return log.read_text()[-3000:] if log.exists() else ""

    def deliver(self, raw: bytes, *, sender: str = "sender@example.org") -> None:
        """Deliver as the MTA would (dovecot-lda adds Return-Path from -f)."""
        done = subprocess.run(
            [LDA, "-c", str(self.conf), "-d", self.user, "-f", sender],
            input=raw,
            capture_output=True,
        )
        if done.returncode:
            raise RuntimeError(f"dovecot-lda failed: {done.stderr!r}\n{self.log()}")

    def folder_count(self, folder: str) -> int:
        """How many messages are in a folder (read on disk: cur/ and new/)."""
        base = self.tmp / "mail" / self.user / "Maildir"
        path = base if folder == "INBOX" else base / f".{folder}"
        return sum(
            len(list((path / sub).iterdir())) for sub in ("cur", "new") if (path / sub).is_dir()
        )

    def clear(self) -> None:
        """Empty every folder (between tests)."""
        base = self.tmp / "mail" / self.user / "Maildir"
        for sub in base.rglob("*"):
            if sub.is_file() and sub.parent.name in ("cur", "new", "tmp"):
                sub.unlink()
