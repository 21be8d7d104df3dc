"""Benchmark the public pages under many concurrent visitors, beside the cheapest page.

Real processes on loopback only: `gunicorn microintern.wsgi -w 3` (sync workers, as
docs/deployment.md runs it) on a free port in 8610-8629, PostgreSQL in a database made fresh
for the run (bench/_database.py), migrated and loaded with the demo data
(`python -m microintern demo`), DEBUG off, the shared cache the site would have (the
database cache, or Redis with --redis-url). Load from locust (pinned in the `bench` extra),
headless, used as a library, in this process: closed-loop visitors with no pause between
requests, each with its own cookies.

One run, phases one after another, each page alone for --seconds with every user on it (so
each page's throughput can be set beside the baseline's): for each --users count, the
baseline, then the list (/), a micro-internship's page, the interest form (GET), the
interest POST (each visitor GETs the form once for its token, then sends expressions of
interest from new addresses; 302 to "sent" counts, anything else is an error), then the
baseline again. The baseline is the cheapest page of the whole Django stack: the
certificate check's empty form (/certificates/, a template and no query). /healthz is not
it: it runs a dozen queries and answers 503 without a task worker.

Reported per phase: requests/s, p50 and p95 (of every answer in the timed window; the
users start at 100 a second, and the 2 s after they all run are not timed), errors,
throughput and p95 against the mean of the two baselines at the same users, the CPU that
gunicorn and locust used (in cores; PostgreSQL is shared with the machine's other work, so
not counted), and the load average. After the last phase the interests and acknowledgements
in the database are counted against the POSTs answered 302.

Usage::

    .venv/bin/pip install -c requirements.lock -e '.[bench]'
    .venv/bin/python bench/bench_load.py --users 50 200 --seconds 30
    .venv/bin/python bench/bench_load.py --src /path/to/older/src     # the same, older code
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import gevent
import locust  # noqa: F401 - gevent patches the standard library (sockets) as it loads
import psutil
from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _database import fresh_postgres_database, run_manage  # noqa: E402

PORTS = range(8610, 8630)
WARM_UP_SECONDS = 2
REFERENCE = "MI-2027-004"  # the demo's micro-internship open for interest
BASELINE = "baseline (/certificates/)"
COUNT_ROWS = """
from microintern.applications.models import ExpressionOfInterest
from microintern.mail.models import OutboundMessage
print(ExpressionOfInterest.objects.filter(student__email__startswith="bench-").count(),
      OutboundMessage.objects.filter(to__startswith="bench-").count())
"""


def visitor(path: str):
    """A visitor who asks for `path` again and again, without pause."""

    class Visitor(FastHttpUser):
        wait_time = constant(0)

        @task
        def ask(self):
            self.client.get(path, name=path)

    return Visitor


class InterestSender(FastHttpUser):
    """GETs the form once for its CSRF token, then sends interest from new addresses."""

    wait_time = constant(0)
    form = f"/my/interest/{REFERENCE}/"

    def on_start(self):
        page = self.client.get(self.form, name="token").text
        self.token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]

    @task
    def send(self):
        who = uuid.uuid4().hex[:12]
        data = {
            "csrfmiddlewaretoken": self.token,
            "full_name": "Bench Student",
            "email": f"bench-{who}@example.ac.uk",
            "student_number": f"B{who}",
            "statement": "I commute and work shifts, and one day fits around both.",
            "access_needs": "",
            "can_attend": "on",
        }
        with self.client.post(
            self.form,
            data=data,
            name="interest POST",
            allow_redirects=False,
            catch_response=True,
            headers={"Referer": f"{self.host}{self.form}"},
        ) as answer:
            if answer.status_code == 302 and answer.headers.get("Location", "").endswith("/sent/"):
                answer.success()
            else:
                answer.failure(f"{answer.status_code}")


def phases():
    return [
        (BASELINE, visitor("/certificates/")),
        ("list (/)", visitor("/")),
        ("detail", visitor(f"/micro-internships/{REFERENCE}/")),
        ("form GET", visitor(f"/my/interest/{REFERENCE}/")),
        ("interest POST", InterestSender),
        (BASELINE, visitor("/certificates/")),
    ]


def run_phase(url: str, user_class, users: int, seconds: float, server: list) -> dict:
    """Run `users` of `user_class` for WARM_UP_SECONDS + `seconds`; what the timed part saw."""
    timed, errors, timing, answered = [], [], [False], [0]

    def heard(request_type, name, response_time, response_length, exception=None, **_):
        if name == "token":
            return
        answered[0] += exception is None
        if timing[0]:
            (errors if exception else timed).append(response_time)

    # Each visitor finishes the request it is making when the phase ends, so every POST
    # the server answered is counted.
    env = Environment(user_classes=[user_class], host=url, stop_timeout=60)
    env.events.request.add_listener(heard)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=min(users, 100))  # locust warns above 100 a second
    gevent.sleep(WARM_UP_SECONDS + users / 100)
    cpu_before = _cpu(server), psutil.Process().cpu_times()
    started = time.perf_counter()
    timing[0] = True
    gevent.sleep(seconds)
    timing[0] = False
    took = time.perf_counter() - started
    server_cpu = _cpu(server) - cpu_before[0]
    own = psutil.Process().cpu_times()
    locust_cpu = own.user + own.system - cpu_before[1].user - cpu_before[1].system
    runner.quit()
    times = sorted(timed)
    return {
        "answers": len(times),
        "answered_in_all": answered[0],
        "errors": len(errors),
        "rps": len(times) / took,
        "p50": statistics.median(times) if times else 0.0,
        "p95": statistics.quantiles(times, n=20, method="inclusive")[18] if times else 0.0,
        "gunicorn_cores": server_cpu / took,
        "locust_cores": locust_cpu / took,
        "load": os.getloadavg()[0],
    }


def _cpu(server: list) -> float:
    """CPU seconds used so far by gunicorn (master and workers). PostgreSQL is not counted: it
    is shared with the machine's other work."""
    total = 0.0
    processes = server
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise SystemExit("no free port in 8610-8629")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--seconds", type=float, default=30, help="timed seconds per phase")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/microintern_bench_load"
        ),
        help="a PostgreSQL database to drop and make again",
    )
    parser.add_argument("--redis-url", default="", help="keep the cache in Redis (e.g. db 11)")
    parser.add_argument("--conn-max-age", default="60", help="CONN_MAX_AGE for gunicorn")
    parser.add_argument("--src", default=str(ROOT / "src"), help="the code to serve")
    args = parser.parse_args()
    if args.seconds > 120 or max(args.users) > 500:
        raise SystemExit("bounded: at most 120 s per phase and 500 users")
    tmp = Path(tempfile.mkdtemp(prefix="microintern-bench-load-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MICROINTERN_", "REDIS"))},
        "DATABASE_URL": args.database_url,
        "CONN_MAX_AGE": args.conn_max_age,
        "MICROINTERN_VAR_DIR": str(tmp / "var"),
        "MICROINTERN_CACHE_KEY_PREFIX": f"bench-load-{uuid.uuid4().hex[:8]}",
        "DEBUG": "0",
        "LOG_LEVEL": "ERROR",
        "PYTHONPATH": args.src,
    }
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url

    def manage(*command: str) -> str:
        return run_manage(env, *command)

    fresh_postgres_database(args.database_url)
    manage("migrate", "--no-input", "-v", "0")
    manage("demo")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    gunicorn = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "microintern.wsgi", "--workers", str(args.workers)),
            *("--bind", f"127.0.0.1:{port}", "--timeout", "120", "--backlog", "2048"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results = []
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        master = psutil.Process(gunicorn.pid)
        time.sleep(2)
        server = [master, *master.children(recursive=True)]
        warm_up_posts = 0
        for _, user_class in phases()[:-1]:  # every worker loads its templates and code
            warm_up = run_phase(url, user_class, args.workers, WARM_UP_SECONDS, server)
            warm_up_posts += warm_up["answered_in_all"] if user_class is InterestSender else 0
        print(f"code: {args.src}; uptime at start: {_uptime()}", flush=True)
        for users in args.users:
            for name, user_class in phases():
                result = run_phase(url, user_class, users, args.seconds, server)
                results.append((users, name, result))
                print(f"{users} users, {name}: {result['rps']:.0f} req/s", flush=True)
        counted = manage("shell", "-c", COUNT_ROWS).strip().splitlines()[-1]
        rows, acknowledgements = (int(n) for n in counted.split())
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
    print(f"uptime at end: {_uptime()}\n")
    report(results, warm_up_posts, rows, acknowledgements)


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def report(results: list, warm_up_posts: int, rows: int, acknowledgements: int) -> None:
    print(
        "| users | page | req/s | p50 | p95 | errors | req/s / baseline | p95 / baseline "
        "| gunicorn cores | locust cores | load |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for users in dict.fromkeys(u for u, _, _ in results):
        baselines = [r for u, n, r in results if u == users and n == BASELINE]
        base_rps = statistics.mean(b["rps"] for b in baselines)
        base_p95 = statistics.mean(b["p95"] for b in baselines)
        for u, name, r in results:
            if u != users:
                continue
            print(
                f"| {users} | {name} | {r['rps']:,.0f} | {r['p50']:,.0f} ms | {r['p95']:,.0f} ms "
                f"| {r['errors']} | {r['rps'] / base_rps:.2f} | {r['p95'] / base_p95:.2f} "
                f"| {r['gunicorn_cores']:.2f} | {r['locust_cores']:.2f} | {r['load']:.1f} |"
            )
    posted = warm_up_posts + sum(
        r["answered_in_all"] for _, n, r in results if n == "interest POST"
    )
    print(
        f"\ninterest POSTs answered 302 (warm-ups included): {posted}; interests in the "
        f"database: {rows}; acknowledgements in the outbox: {acknowledgements}"
    )


if __name__ == "__main__":
    main()
