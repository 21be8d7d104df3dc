"""Behind a real nginx, configured as docs/deployment.md says, an attacker is slowed and
another person signs in.

nginx (Debian's package) runs as a foreground process on a free port with the documented
`location /` block, in front of `gunicorn -w 3` told of one proxy
(MICROINTERN_TRUSTED_PROXY_COUNT=1). The attacker connects from 127.0.0.2, the others from
127.0.0.3 and 127.0.0.4, so nginx sees three client addresses. The attacker also writes
X-Forwarded-For headers of its own, which must not make it look like someone else.
"""

import math
import os
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.accounts.http_visitors import Visitor, outcome
from tests.accounts.test_shared_cache import (
    CODE_STEP,
    EMAIL,
    EMPTY_DATABASE_CACHE,
    PASSWORD,
    current_code_with_time_to_spare,
    free_port,
    migrated_sqlite,
    site_on,
)

migrated_sqlite = migrated_sqlite  # the fixture, for site_on

pytestmark = [
    pytest.mark.nginx,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(300),
    pytest.mark.slow,
    pytest.mark.real_clock,
]

NGINX = os.environ.get("NGINX_PATH", "/usr/sbin/nginx")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "deployment.md"
ATTACKER, OWNER, STUDENT = "127.0.0.2", "127.0.0.3", "127.0.0.4"
STUDENT_EMAIL = "amira.hassan@example.ac.uk"
LOGIN = "/accounts/login/"

CONFIG = """
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    {preamble}
    server {{
        listen 127.0.0.1:{port};
        server_name 127.0.0.1;
        {locations}
    }}
}}
"""


def documented_configuration(upstream: str) -> tuple[str, str]:
    """From the nginx configuration in docs/deployment.md: the lines before its first
    `server` block (the `http`-level rate limit zone) and the `location` blocks of the HTTPS
    server, passing to `upstream` instead of the documented gunicorn address."""
    config = re.search(r"```nginx\n(.*?)```", DOCS.read_text(), re.DOTALL).group(1)
    preamble = config[: config.index("server {")]
    https_server = config[config.index("listen 443") :]
    blocks = re.findall(r"location [^{]+\{.*?\n\s*\}", https_server, re.DOTALL)
    assert [b.split("{")[0].strip() for b in blocks] == ["location /", "location /accounts/"]
    for block in blocks:
        assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in block
        assert "proxy_set_header X-Forwarded-Proto $scheme;" in block
    assert "limit_req zone=" in blocks[1]
    locations = "\n".join(blocks)
    return preamble, re.sub(r"proxy_pass http://[^;]+;", f"proxy_pass {upstream};", locations)


class Nginx:
    def __init__(self, tmp: Path, upstream: str):
        self.tmp, self.port = tmp, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        preamble, locations = documented_configuration(upstream)
        (tmp / "nginx.conf").write_text(
            CONFIG.format(tmp=tmp, port=self.port, preamble=preamble, locations=locations)
        )
        self.process = subprocess.Popen(
            [NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-e", str(tmp / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx stopped: {self.process.stderr.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "nginx did not listen within 20 s"
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)

    def client_addresses(self) -> set[str]:
        return {line.split()[0] for line in (self.tmp / "access.log").read_text().splitlines()}


@pytest.fixture
def behind_nginx(tmp_path, request):
    if not os.path.exists(NGINX):
        message = f"nginx not found at {NGINX} (apt-get install -y nginx); CI installs it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    site = site_on(tmp_path, request, MICROINTERN_TRUSTED_PROXY_COUNT="1")
    (tmp_path / "nginx").mkdir()
    nginx = Nginx(tmp_path / "nginx", site.url)
    yield nginx
    nginx.stop()
    site.stop()
    site.manage("shell", "-c", EMPTY_DATABASE_CACHE)  # PostgreSQL's test database outlives us


def test_an_attacker_is_slowed_while_the_account_owner_signs_in(behind_nginx):
    """The attacker guesses as fast as the server answers. However slow the machine, it
    gets its 3 free guesses and then at most one more per doubling of the wait: after m
    more, it has waited 1 + 2 + … + 2^(m-2) seconds."""
    attacker = Visitor(behind_nginx.url, ATTACKER)
    token, started = attacker.form_token(LOGIN), time.monotonic()
    guesses = [
        outcome(
            attacker.submit(
                LOGIN,
                {"login": EMAIL, "password": f"guess {n}"},
                headers={"X-Forwarded-For": f"198.51.100.{n}"},  # pretending to be elsewhere
                token=token,
            )
        )
        for n in range(12)
    ]
    elapsed = time.monotonic() - started
    assert guesses[:3] == ["refused"] * 3, guesses
    assert set(guesses) == {"refused", "wait"}, guesses
    assert guesses.count("refused") <= 3 + 1 + math.floor(math.log2(elapsed + 1)), guesses

    owner = Visitor(behind_nginx.url, OWNER)
    password_step = owner.submit(LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert password_step.headers["Location"] == CODE_STEP
    code_step = owner.submit(CODE_STEP, {"code": current_code_with_time_to_spare()})
    assert code_step.headers["Location"] == "/home/"
    assert owner.get("/staff/", allow_redirects=False).status_code == 200
    assert behind_nginx.client_addresses() == {ATTACKER, OWNER}


def test_a_flood_of_code_requests_is_refused_while_the_student_gets_their_code(behind_nginx):
    flood = [  # each request from a fresh session, as a script would
        outcome(
            Visitor(behind_nginx.url, ATTACKER).submit(
                "/accounts/login/code/",
                {"email": STUDENT_EMAIL},
                headers={"X-Forwarded-For": f"198.51.100.{n}"},
            )
        )
        for n in range(8)
    ]
    assert flood == ["accepted"] * 5 + ["limited"] * 3, flood
    student = Visitor(behind_nginx.url, STUDENT)
    answer = student.submit("/accounts/login/code/", {"email": STUDENT_EMAIL})
    assert answer.headers["Location"] == "/accounts/login/code/confirm/"


def test_a_flood_of_posts_is_cut_off_by_nginx_while_others_sign_in(behind_nginx):
    """40 sign-in posts at once from one address (each claiming another address in
    X-Forwarded-For): nginx lets through its burst of 20, and about one a second after
    that, and answers the rest itself with 429; the address's pages still open, and the
    account's owner, at another address, signs in."""
    attacker = Visitor(behind_nginx.url, ATTACKER)
    token, started = attacker.form_token(LOGIN), time.monotonic()
    answers = [
        attacker.submit(
            LOGIN,
            {"login": EMAIL, "password": f"guess {n}"},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
            token=token,
        )
        for n in range(40)
    ]
    elapsed = time.monotonic() - started
    by_nginx = [a for a in answers if a.status_code == 429 and "nginx" in a.text]
    reached_the_site = len(answers) - len(by_nginx)
    assert 20 <= reached_the_site <= 21 + math.ceil(elapsed), (reached_the_site, elapsed)
    assert by_nginx, "nginx refused none of the flood"
    assert all(outcome(a) in {"refused", "wait", "limited"} for a in answers)
    assert attacker.get(LOGIN).status_code == 200  # pages are not limited

    owner = Visitor(behind_nginx.url, OWNER)
    password_step = owner.submit(LOGIN, {"login": EMAIL, "password": PASSWORD})
    assert password_step.headers["Location"] == CODE_STEP
    code_step = owner.submit(CODE_STEP, {"code": current_code_with_time_to_spare()})
    assert code_step.headers["Location"] == "/home/"
