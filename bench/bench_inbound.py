"""Benchmark inbound email: the whole pipeline against the floor of bare parsing, peak memory
on hostile input, and a poll of a real Dovecot mailbox.

Messages: the test corpus (tests/mail/corpus: expressions of interest, replies, bounces from
several servers, out-of-office replies in several languages, lists, broken MIME, unknown
charsets) repeated with fresh Message-IDs, the human ones from students on record, so about
a third become interests, the rest are set aside or triaged.

Figures:
- floor: `email.message_from_bytes(raw)` (compat32, the default) and with policy.default;
- parse + classify (pure Python, no database);
- whole pipeline: store (raw bytes, SHA-256, dedupe) → parse → classify → interpret →
  record the interest → queue the acknowledgement (outbox row + task), as `import_mail` and
  the IMAP poller run it: batches of up to 50 messages stored and committed, then processed
  in one transaction;
- peak memory (tracemalloc) of `parse_message` on a 5,000-part message, a 300 KB header
  and 100,000 encoded-words;
- `fetch_mail`-style poll of N messages delivered to a throwaway Dovecot (IMAP FETCH
  BODY.PEEK[] + pipeline + MOVE per message).

Usage::

    .venv/bin/python bench/bench_inbound.py --messages 2000                 # SQLite (temp file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h6bench \\
        .venv/bin/python bench/bench_inbound.py --messages 2000             # PostgreSQL
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import re
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
CORPUS = ROOT / "tests" / "mail" / "corpus"
MESSAGE_ID = re.compile(rb"(?im)^message-id:[^\r\n]*(\r?\n[ \t][^\r\n]*)*\r?\n")


def _is_message(path: Path) -> bool:
    """A message file of the public corpus (not its README, manifest or licences)."""
    return (
        path.is_file()
        and not path.name.startswith(".")
        and path.suffix not in (".md", ".csv")
        and "licenses" not in path.parts
    )


def _prepare_environment() -> str:
    var = Path(tempfile.mkdtemp(prefix="microintern-bench-inbound-"))
    os.environ.setdefault("MICROINTERN_VAR_DIR", str(var))
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{var / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "microintern.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # As production runs: DEBUG makes Django log every query (and keep it in memory).
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("EMAIL_URL", "dummy:")
    os.environ.setdefault("UNIVERSITY_EMAIL_DOMAINS", "example.ac.uk")
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):
        from _database import fresh_postgres_database

        fresh_postgres_database(url)
    return url


CORPUS_FILES = sorted(CORPUS.glob("*.eml"))


def messages(n: int) -> list[bytes]:
    """n messages: the corpus in turn, each with a fresh Message-ID (so each is new)."""
    corpus = [p.read_bytes() for p in CORPUS_FILES]
    out = []
    for i in range(n):
        raw = corpus[i % len(corpus)]
        newline = b"\r\n" if b"\r\n" in raw[:2000] else b"\n"
        header = b"Message-ID: <bench-%d@example.test>" % i + newline
        raw = MESSAGE_ID.sub(b"", raw, count=1)
        out.append(header + raw)
    return out


def _world(n_students: int):
    from django.core.management import call_command

    from microintern.accounts.models import Student
    from tests.programme.factories import MicroInternshipFactory

    call_command("migrate", verbosity=0)
    MicroInternshipFactory(open_now=True, reference="MI-2026-007")
    names = ["a.pereira", "l.chen", "kwame.mensah", "priya.patel", "sam.taylor"]
    Student.objects.bulk_create(
        Student(
            student_number=f"S{i:07d}",
            email=f"{name}@student.example.ac.uk",
            full_name=name.replace(".", " ").title(),
        )
        for i, name in enumerate(names)
    )
    del n_students


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def bench_floor(raws: list[bytes]) -> dict:
    started = time.perf_counter()
    for raw in raws:
        email.message_from_bytes(raw)
    compat = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    for raw in raws:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        msg.get("subject")
    default = time.perf_counter() - started
    return {
        "compat32": _rate(len(raws), compat),
        "default": _rate(len(raws), default),
        "default_cpu": time.process_time() - cpu,
    }


def bench_parse_classify(raws: list[bytes]) -> float:
    from microintern.mail.inbound.classify import classify
    from microintern.mail.inbound.parse import ParsedMessage, parse_message

    started = time.perf_counter()
    for raw in raws:
        parsed = parse_message(raw)
        if isinstance(parsed, ParsedMessage):
            classify(parsed, own_addresses=["business-clinic@example.ac.uk"])
    return _rate(len(raws), time.perf_counter() - started)


def _receive(raws: list[bytes], states=None) -> None:
    """Store and process as `import_mail` does: batches stored (committed), then processed."""
    from microintern.mail.inbound import pipeline, store

    for batch in pipeline.batches(store.Incoming(raw) for raw in raws):
        stored = store.store_messages(batch)
        done = pipeline.process_messages([s.message.pk for s in stored])
        if states is not None:
            states.update(str(state) for state in done.values())


def bench_pipeline(raws: list[bytes]) -> tuple[float, float, dict]:
    from collections import Counter

    from django.urls import reverse

    reverse("inbound:check", args=["warm-up"])  # import the URLconf (and its apps) first
    _receive([raw.replace(b"bench-", b"warm-") for raw in messages(40)])
    states: Counter = Counter()
    started, cpu = time.perf_counter(), time.process_time()
    _receive(raws, states)
    seconds = time.perf_counter() - started
    return _rate(len(raws), seconds), time.process_time() - cpu, dict(states)


def bench_store_again(raws: list[bytes]) -> float:
    """Re-running the same import: every message recognised, nothing done."""
    started = time.perf_counter()
    _receive(raws)
    return _rate(len(raws), time.perf_counter() - started)


def hostile() -> list[tuple[str, bytes]]:
    parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\npart\r\n" for _ in range(5000))
    return [
        (
            "5,000 MIME parts",
            b"From: x@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            + parts
            + b"--b--\r\n",
        ),
        (
            "300 KB Subject header",
            b"From: x@example.org\r\nSubject: " + b"A" * 300_000 + b"\r\n\r\nbody\r\n",
        ),
        (
            "100,000 encoded-words in From",
            b"From: " + b" ".join(b"=?utf-8?q?a?=" for _ in range(100_000)) + b"\r\n\r\nx\r\n",
        ),
    ]


def bench_memory() -> list[tuple[str, int, float, float, str]]:
    from microintern.mail.inbound.parse import Quarantined, parse_message

    rows = []
    for label, raw in hostile():
        started = time.perf_counter()
        result = parse_message(raw)
        seconds = time.perf_counter() - started  # timed without tracemalloc (it slows)
        tracemalloc.start()
        parse_message(raw)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        outcome = result.code.value if isinstance(result, Quarantined) else "parsed"
        rows.append((label, len(raw), peak / 1e6, seconds * 1000, outcome))
    return rows


def bench_dovecot(n: int) -> tuple[float, float, str] | None:
    from tests.mail.inbound import dovecot as server_module

    if not server_module.available():
        return None
    from microintern.mail.inbound import imap
    from microintern.mail.inbound.models import InboundMessage, Mailbox

    tmp = Path(tempfile.mkdtemp(prefix="microintern-bench-dovecot-"))
    server = server_module.Dovecot(tmp, server_module.free_port())
    server.start()
    try:
        raws = [r.replace(b"bench-", b"imap-") for r in messages(n)]
        started = time.perf_counter()
        for raw in raws:
            server.deliver(raw)
        deliver = time.perf_counter() - started
        os.environ["BENCH_IMAP_PASSWORD"] = server.password
        mailbox = Mailbox.objects.create(
            name="bench",
            host="127.0.0.1",
            port=server.port,
            security="none",
            username=server.user,
            secret_env="BENCH_IMAP_PASSWORD",  # noqa: S106 - the name of a variable
        )
        before = InboundMessage.objects.count()
        started = time.perf_counter()
        result = imap.poll(mailbox)
        seconds = time.perf_counter() - started
        assert InboundMessage.objects.count() - before == n, result
        return _rate(n, seconds), _rate(n, deliver), str(result)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--imap-messages", type=int, default=500)
    parser.add_argument(
        "--real-world",
        action="store_true",
        help="add the 259 real-world messages of tests/mail/corpus/public to the mix",
    )
    args = parser.parse_args()
    if args.real_world:
        global CORPUS_FILES  # noqa: PLW0603 - the mix is chosen once, before anything runs
        CORPUS_FILES = sorted(
            [*CORPUS_FILES, *(p for p in (CORPUS / "public").rglob("*") if _is_message(p))]
        )
    url = _prepare_environment()
    import django

    django.setup()
    from django.db import connection

    _world(5)
    raws = messages(args.messages)
    floor = bench_floor(raws)
    pure = bench_parse_classify(raws)
    pipeline, pipeline_cpu, states = bench_pipeline(raws)
    again = bench_store_again(raws)
    vendor = connection.vendor
    print(f"Database: {vendor} ({url.split('@')[-1]}); {args.messages} messages; states {states}")
    print()
    print("| Step | messages/s | ratio to floor (policy.default) |")
    print("|---|---:|---:|")
    print(f"| floor: `message_from_bytes` (compat32) | {floor['compat32']:,.0f} | |")
    print(f"| floor: `message_from_bytes` (policy.default) | {floor['default']:,.0f} | 1.00 |")
    print(f"| parse + classify (no database) | {pure:,.0f} | {pure / floor['default']:.2f} |")
    print(
        f"| whole pipeline ({vendor}): store → parse → classify → interpret → interest → "
        f"acknowledgement | {pipeline:,.0f} | {pipeline / floor['default']:.2f} |"
    )
    print(f"| importing the same messages again ({vendor}) | {again:,.0f} | |")
    print()
    print(
        f"CPU time of this process: floor {floor['default_cpu']:.2f} s, whole pipeline "
        f"{pipeline_cpu:.2f} s, ratio {floor['default_cpu'] / pipeline_cpu:.2f} (on a loaded "
        "machine this ratio holds where the wall-clock one does not)"
    )
    print()
    print("| Hostile input | size | peak memory | time | outcome |")
    print("|---|---:|---:|---:|---|")
    for label, size, peak, ms, outcome in bench_memory():
        print(f"| {label} | {size / 1e3:,.0f} KB | {peak:.1f} MB | {ms:.0f} ms | {outcome} |")
    imap_result = bench_dovecot(args.imap_messages)
    if imap_result:
        rate, deliver_rate, text = imap_result
        print()
        print(
            f"IMAP poll of {args.imap_messages} messages from Dovecot ({vendor}): "
            f"{rate:,.0f} messages/s (delivery by dovecot-lda: {deliver_rate:,.0f}/s); {text}"
        )


if __name__ == "__main__":
    main()
