"""Benchmark sign-in under an attacker's load: is the attacker slowed, and do other people
sign in as fast as without the attack?

Real processes on loopback only: `gunicorn microintern.wsgi -w 3` on a free port, the
production password hasher, a migrated SQLite file (or DATABASE_URL) and the database cache.
Two phases, run in interleaved rounds (so that the machine's other load weighs on both
alike), each with its own fresh accounts; the cache is emptied once, at the start:

1. without attacker: USERS people sign in, two at a time, each from an address of their
   own (127.0.1.x): a staff member with password and authenticator code (GET the form,
   POST the password, POST the code), then a student asking for a sign-in code;
2. with attacker: the same, while one address (127.0.0.2) hammers without pause, on two
   connections: password guesses at one staff account, and code requests for made-up
   email addresses.

Reported side by side: other people's sign-in time (median and p95) in both phases, and
what the attacker got (answers by kind, guesses checked, time per answer).

With ``--through-nginx`` everyone goes through nginx configured as docs/deployment.md says
(its per-address limit on sign-in posts included), gunicorn told of the one proxy.

With ``--apart`` the two cores stand for two machines: the server (gunicorn, nginx) runs on
core 0 only, the people signing in and the attacker on core 1, the attacker in a process of
its own at the lowest priority. The attacker then takes none of the server's CPU except what
answering it costs, as when it sends from another machine; in both phases the server has
one core.

Usage::

    .venv/bin/python bench/bench_signin_attack.py --users 30
    .venv/bin/python bench/bench_signin_attack.py --users 30 --through-nginx
    .venv/bin/python bench/bench_signin_attack.py --users 30 --through-nginx --apart
"""

from __future__ import annotations

import argparse
import base64
import hmac
import multiprocessing
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.accounts.http_visitors import Visitor, outcome  # noqa: E402
from tests.accounts.nginx_proxy import Nginx  # noqa: E402
from tests.smtp_sink import free_port  # noqa: E402

PASSWORD = "correct horse battery staple"  # noqa: S105 - the bench accounts' password
TOTP_KEY = "JBSWY3DPEHPK3PXPJBSWY3DP"  # the authenticator of every bench account
VICTIM = "head.of.clinic@example.ac.uk"
ATTACKER = "127.0.0.2"
PHASES = ("without attacker", "with attacker")
SERVER_CORE, CLIENTS_CORE = {0}, {1}  # with --apart

MAKE_ACCOUNTS = """
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.hashers import make_password
from microintern.accounts.models import User
hashed = make_password({password!r})  # hashed once: the production hasher is slow on purpose
staff = [f"staff-{{p}}{{n}}@example.ac.uk" for p in "ab" for n in range({users})]
for email in [{victim!r}, *staff]:
    user = User.objects.create(email=email, role="staff", full_name="Bench Staff", password=hashed)
    TOTP.activate(user, {secret!r})
for p in "ab":
    for n in range({users}):
        User.objects.create(email=f"student-{{p}}{{n}}@example.ac.uk", full_name="Bench Student")
"""
EMPTY_CACHE = "from django.core.cache import cache; cache.clear()"


def current_code() -> tuple[str, float]:
    """The authenticator's code now (RFC 6238: HMAC-SHA1, 30 s steps, 6 digits), or the
    next one when this one has less than 10 s to live (a busy server may take that long);
    and the seconds waited for it, which are not the server's time."""
    waited = 0.0
    if 30 - time.time() % 30 < 10:
        waited = 30 - time.time() % 30 + 0.1
        time.sleep(waited)
    digest = hmac.digest(
        base64.b32decode(TOTP_KEY), struct.pack(">Q", int(time.time()) // 30), "sha1"
    )
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 10**6:06d}", waited


def sign_in(url: str, phase: str, n: int) -> float:
    """One staff sign-in (password, code) and one student code request; seconds taken."""
    address = f"127.0.1.{n + 1}"
    started = time.perf_counter()
    staff = Visitor(url, address, timeout=120)
    email = f"staff-{phase}{n}@example.ac.uk"
    assert outcome(staff.submit("/accounts/login/", {"login": email, "password": PASSWORD})) == (
        "accepted"
    )
    token = staff.form_token("/accounts/2fa/authenticate/")
    code, waited = current_code()
    answer = staff.submit("/accounts/2fa/authenticate/", {"code": code}, token=token)
    assert answer.headers.get("Location") == "/home/", answer.status_code
    student = Visitor(url, address, timeout=120)
    asked = student.submit("/accounts/login/code/", {"email": f"student-{phase}{n}@example.ac.uk"})
    assert outcome(asked) == "accepted", asked.status_code
    return time.perf_counter() - started - waited


def everyone_signs_in(url: str, phase: str, people: range) -> list[float]:
    todo, lock, times = iter(people), threading.Lock(), []

    def stream() -> None:
        while True:
            with lock:
                n = next(todo, None)
            if n is None:
                return
            seconds = sign_in(url, phase, n)
            with lock:
                times.append(seconds)

    threads = [threading.Thread(target=stream) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


class Attacker:
    """Hammers from one address until stopped, on two connections; keeps every answer."""

    def __init__(self, url: str):
        self.url, self.stopped = url, threading.Event()
        self.answers: dict[str, list[tuple[str, float]]] = {"guesses": [], "codes": []}
        self.threads = [
            threading.Thread(target=self.guess_passwords),
            threading.Thread(target=self.ask_for_codes),
        ]

    def timed(self, kind: str, send) -> None:
        started = time.perf_counter()
        answer = send()
        self.answers[kind].append((outcome(answer), time.perf_counter() - started))

    def guess_passwords(self) -> None:
        visitor = Visitor(self.url, ATTACKER, timeout=120)
        token, n = visitor.form_token("/accounts/login/"), 0
        while not self.stopped.is_set():
            n += 1
            self.timed(
                "guesses",
                lambda n=n: visitor.submit(
                    "/accounts/login/", {"login": VICTIM, "password": f"guess{n}"}, token=token
                ),
            )

    def ask_for_codes(self) -> None:
        visitor, n = Visitor(self.url, ATTACKER, timeout=120), 0
        token = visitor.form_token("/accounts/login/code/")
        while not self.stopped.is_set():
            n += 1
            fresh = Visitor(self.url, ATTACKER, timeout=120)  # a script drops its cookies
            fresh.session.cookies.update(visitor.session.cookies)
            self.timed(
                "codes",
                lambda n=n, fresh=fresh: fresh.submit(
                    "/accounts/login/code/", {"email": f"made.up{n}@example.ac.uk"}, token=token
                ),
            )

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        for thread in self.threads:
            thread.join()


class AttackerApart:
    """The attacker in a process of its own, at the lowest priority (with --apart it shares
    the clients' core, not the server's); its answers come back when it is stopped."""

    def __init__(self, url: str):
        context = multiprocessing.get_context("fork")
        self.stopped = context.Event()
        self._answers, sender = context.Pipe(duplex=False)
        self.process = context.Process(target=_attack, args=(url, self.stopped, sender))
        self.answers: dict[str, list[tuple[str, float]]] = {}

    def __enter__(self):
        self.process.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.answers = self._answers.recv()
        self.process.join()


def _attack(url: str, stopped, sender) -> None:
    os.nice(19)
    with Attacker(url) as attacker:
        stopped.wait()
    sender.send(attacker.answers)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=30, help="people signing in per phase")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both phases")
    parser.add_argument(
        "--through-nginx",
        action="store_true",
        help="everyone through nginx configured as docs/deployment.md says",
    )
    parser.add_argument(
        "--apart",
        action="store_true",
        help="server on core 0, clients and attacker (own process, lowest priority) on core 1",
    )
    args = parser.parse_args()
    if args.apart:  # what this process starts now (gunicorn, nginx) inherits core 0
        if len(os.sched_getaffinity(0)) < 2:
            raise SystemExit("--apart needs two cores")
        os.sched_setaffinity(0, SERVER_CORE)
    tmp = Path(tempfile.mkdtemp(prefix="signin-attack-bench-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MICROINTERN_")},
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}"),
        "MICROINTERN_VAR_DIR": str(tmp / "var"),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("REDIS_URL", None)
    if args.through_nginx:
        env["MICROINTERN_TRUSTED_PROXY_COUNT"] = "1"

    def manage(*command: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "microintern", *command],
            env=env,
            check=True,
            capture_output=True,
        )

    manage("migrate", "--no-input", "-v", "0")
    shell = MAKE_ACCOUNTS.format(
        password=PASSWORD, victim=VICTIM, users=args.users, secret=TOTP_KEY
    )
    manage("shell", "-c", shell)
    port = free_port()
    url = site = f"http://127.0.0.1:{port}"
    gunicorn = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "microintern.wsgi", "--workers", "3"),
            *("--bind", f"127.0.0.1:{port}", "--timeout", "120"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    nginx = None
    try:
        while True:
            try:
                Visitor(site, "127.0.0.1", timeout=10).get("/accounts/login/")
                break
            except OSError:
                time.sleep(0.5)
        if args.through_nginx:
            (tmp / "nginx").mkdir()
            nginx = Nginx(tmp / "nginx", site)
            url = nginx.url
        if args.apart:
            os.sched_setaffinity(0, CLIENTS_CORE)
        manage("shell", "-c", EMPTY_CACHE)  # once: the attacker's counts carry on, as they would
        results = {name: ([], [], 0.0) for name in PHASES}
        per_round = args.users // args.rounds
        for round_ in range(args.rounds):  # interleaved, so that the machine's load drifts
            people = range(round_ * per_round, (round_ + 1) * per_round)
            for phase, name in zip("ab", PHASES, strict=True):
                times, attackers, took = results[name]
                started = time.perf_counter()
                if phase == "a":
                    times += everyone_signs_in(url, phase, people)
                else:
                    with (AttackerApart if args.apart else Attacker)(url) as attacker:
                        times += everyone_signs_in(url, phase, people)
                    attackers.append(attacker)
                results[name] = (times, attackers, took + time.perf_counter() - started)
    finally:
        if nginx is not None:
            nginx.stop()
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
    print("through nginx (docs/deployment.md)" if args.through_nginx else "straight to gunicorn")
    if args.apart:
        print("apart: server on core 0; people and attacker (own process, nice 19) on core 1")
    report(results, args.users)


def report(results: dict, users: int) -> None:
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    print("| phase | others' sign-ins | median | p95 | phase took |")
    print("|---|---:|---:|---:|---:|")
    for name, (times, _, took) in results.items():
        print(
            f"| {name} | {len(times)} of {users} | {statistics.median(times):.2f} s "
            f"| {p95(times):.2f} s | {took:.0f} s |"
        )
    base, attacked = (results[name][0] for name in PHASES)
    print(f"\np95 with attacker / without: {p95(attacked) / p95(base):.2f}\n")
    _, attackers, took = results[PHASES[1]]
    print("| attacker's requests | sent | answers | per minute checked | median answer |")
    print("|---|---:|---|---:|---:|")
    for kind, label, checked_as in (
        ("guesses", "password guesses at one account", "refused"),
        ("codes", "code requests for made-up addresses", "accepted"),
    ):
        answers = [answer for attacker in attackers for answer in attacker.answers[kind]]
        counts = Counter(kind_ for kind_, _ in answers)
        summary = ", ".join(f"{count} {kind_}" for kind_, count in counts.most_common())
        print(
            f"| {label} | {len(answers)} | {summary} | {counts[checked_as] / took * 60:.1f} "
            f"| {statistics.median(s for _, s in answers) * 1000:.0f} ms |"
        )


if __name__ == "__main__":
    main()
