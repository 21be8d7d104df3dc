"""Benchmark inbound email's memory per message size, and how fast the mail commands start.

Memory: for each message size, a student's expression of interest with a PDF attachment
(base64, as mail programs send it) goes through `import_mail` (an .eml file) and through an
IMAP poll of a throwaway Dovecot, each in a fresh process of the tree under test. Reported:
the process's RSS once Django is set up (before the message, VmRSS), its peak (VmHWM: unlike
`ru_maxrss`, not inherited from the parent across exec) after the message was stored and
processed, and the difference (what the message cost), with
where the message ended up.

Parsing alone: `parse.parse_message` on the same message in a fresh process, the peak of what
Python allocates while parsing (tracemalloc; the message's bytes, read before, excluded).

Startup: wall time of `python -m microintern import_mail EMPTY_DIR` and `fetch_mail` (no
mailboxes) from the shell, median of the runs, the trees interleaved.

Usage::

    .venv/bin/python bench/bench_inbound_memory.py --tree before=/path/to/old --tree after=.
    .venv/bin/python bench/bench_inbound_memory.py --sizes 1,10,24,30,92 --runs 7
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024


def _env(tree: Path, var: Path) -> dict:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join([str(tree / "src"), str(ROOT)]),
        DJANGO_SETTINGS_MODULE="microintern.settings",
        MICROINTERN_VAR_DIR=str(var),
        DATABASE_URL=f"sqlite:///{var / 'db.sqlite3'}",
        DEBUG="0",
        LOG_LEVEL="WARNING",
        EMAIL_URL="dummy:",
        UNIVERSITY_EMAIL_DOMAINS="example.ac.uk",
        # Compiled modules cached outside the trees, as an installed service has them.
        PYTHONPYCACHEPREFIX=str(Path(tempfile.gettempdir()) / "microintern-bench-pycache"),
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def message(size: int) -> bytes:
    """An expression of interest from a student on record with a ~`size`-byte attachment."""
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["Return-Path"] = "<a.pereira@student.example.ac.uk>"
    msg["From"] = "a.pereira@student.example.ac.uk"
    msg["To"] = "business-clinic@example.ac.uk"
    msg["Subject"] = "Interest in MI-2026-007, CV attached"
    msg["Message-ID"] = f"<bench-{size}@student.example.ac.uk>"
    msg.set_content("Hello,\n\nI would like to take part. My CV is attached.\n\nAna\n")
    payload = (size * 3) // 4  # base64 grows it by a third
    msg.add_attachment(
        b"%PDF-1.4\n" + os.urandom(payload),
        maintype="application",
        subtype="pdf",
        filename="cv.pdf",
    )
    return msg.as_bytes()


# The child: one message through one path, in a fresh process ---------------------------------


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc (VmRSS: now; VmHWM: the peak), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def _warm_up() -> None:
    """Process one small message first, so the libraries the pipeline loads on first use
    (as a long-running worker has them) are not counted as the measured message's cost."""
    from microintern.mail.inbound import pipeline, store

    raw = b"From: someone@example.org\r\nMessage-ID: <warm-up@example.org>\r\n"
    raw += b"Subject: hello MI-2026-007\r\nContent-Type: text/html\r\n\r\n<p>Hello</p>\r\n"
    stored = store.store_message(raw)
    pipeline.process_message(stored.message.pk)


def child_parse(target: str) -> None:
    """`parse.parse_message` alone on the message in `target`, under tracemalloc: the peak of
    what Python allocates while parsing (the message's bytes, read before, not included)."""
    import tracemalloc

    from microintern.mail.inbound.parse import ParsedMessage, parse_message

    raw = Path(target).read_bytes()
    parse_message(raw[:2000])  # the libraries parsing loads on first use
    tracemalloc.start()
    started = time.perf_counter()
    parsed = parse_message(raw)
    seconds = time.perf_counter() - started
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    outcome = (
        ", ".join(a.reason for a in parsed.attachments) or "parsed"
        if isinstance(parsed, ParsedMessage)
        else f"quarantined: {parsed.code}"
    )
    print(
        json.dumps(
            {"peak_mb": peak / MB, "held_mb": held / MB, "seconds": seconds, "outcome": outcome}
        )
    )


def child(mode: str, target: str) -> None:
    if mode == "parse":
        child_parse(target)
        return
    import django

    django.setup()
    from microintern.accounts.models import Student
    from microintern.mail.inbound.models import InboundMessage
    from tests.programme.factories import MicroInternshipFactory

    Student.objects.create(
        student_number="S0000001", email="a.pereira@student.example.ac.uk", full_name="Ana P"
    )
    MicroInternshipFactory(open_now=True, reference="MI-2026-007")
    _warm_up()
    if mode == "imap":
        from microintern.mail.inbound import imap
        from microintern.mail.inbound.models import Mailbox

        port, user = target.split(":")
        mailbox = Mailbox.objects.create(
            name="bench",
            host="127.0.0.1",
            port=int(port),
            security="none",
            username=user,
            secret_env="BENCH_IMAP_PASSWORD",  # noqa: S106 - the name of a variable
        )
        before = _status_mb("VmRSS")
        started = time.perf_counter()
        result = imap.poll(mailbox)
        assert not result.error, result.error
    else:
        from microintern.mail.inbound.importers import import_path

        before = _status_mb("VmRSS")
        started = time.perf_counter()
        import_path(Path(target))
    seconds = time.perf_counter() - started
    peak = _status_mb("VmHWM")
    row = InboundMessage.objects.defer("raw").exclude(message_id="<warm-up@example.org>").get()
    print(
        json.dumps(
            {
                "before_mb": before,
                "peak_mb": peak,
                "seconds": seconds,
                "state": row.state,
                "headers_only": getattr(row, "headers_only", False),
                "stored_size": row.size,
            }
        )
    )


# The parent ------------------------------------------------------------------------------------


def _template_db(tree: Path, base: Path) -> Path:
    """A migrated SQLite database of `tree`, copied for every run."""
    var = base / "template"
    var.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "microintern", "migrate", "-v0"],
        env=_env(tree, var),
        check=True,
        capture_output=True,
    )
    return var / "db.sqlite3"


def _run_child(tree: Path, template: Path, mode: str, target: str, extra_env=None) -> dict:
    var = Path(tempfile.mkdtemp(prefix="microintern-bench-mem-"))
    shutil.copy(template, var / "db.sqlite3")
    env = _env(tree, var) | (extra_env or {})
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, target],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    shutil.rmtree(var, ignore_errors=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_memory(trees: dict[str, Path], sizes: list[int], base: Path) -> list[tuple]:
    sys.path.insert(0, str(ROOT))
    from tests.mail.inbound import dovecot as server_module

    rows = []
    templates = {name: _template_db(tree, base / name) for name, tree in trees.items()}
    server = None
    if server_module.available():
        server = server_module.Dovecot(
            Path(tempfile.mkdtemp(prefix="microintern-bench-dovecot-")), server_module.free_port()
        )
        server.start()
    try:
        for size_mb in sizes:
            raw = message(int(size_mb * MB))
            eml = base / f"m{size_mb}.eml"
            eml.write_bytes(raw)
            size = len(raw)
            del raw  # the children measure themselves; the parent holds no message
            for name, tree in trees.items():
                result = _run_child(tree, templates[name], "parse", str(eml))
                rows.append((size_mb, size, name, "parse_message (traced)", result))
                result = _run_child(tree, templates[name], "import", str(eml))
                rows.append((size_mb, size, name, "import_mail", result))
                if server is not None:
                    server.clear()
                    server.deliver(eml.read_bytes(), sender="a.pereira@student.example.ac.uk")
                    result = _run_child(
                        tree,
                        templates[name],
                        "imap",
                        f"{server.port}:{server.user}",
                        {"BENCH_IMAP_PASSWORD": server.password},
                    )
                    rows.append((size_mb, size, name, "IMAP poll", result))
                print(f"  {size_mb} MB, {name}: done", file=sys.stderr)
            eml.unlink()
    finally:
        if server is not None:
            server.stop()
    return rows


def bench_startup(trees: dict[str, Path], runs: int, base: Path) -> dict:
    empty = base / "empty"
    empty.mkdir(exist_ok=True)
    templates = {name: _template_db(tree, base / f"start-{name}") for name, tree in trees.items()}
    times: dict[tuple[str, str, str], list[float]] = {}
    for _ in range(runs):
        for name, tree in trees.items():
            env = _env(tree, templates[name].parent)
            for command in (["import_mail", str(empty)], ["fetch_mail"]):
                cpu = _children_cpu()
                started = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "microintern", *command],
                    env=env,
                    check=True,
                    capture_output=True,
                )
                wall = time.perf_counter() - started
                times.setdefault((name, command[0], "wall"), []).append(wall)
                times.setdefault((name, command[0], "cpu"), []).append(_children_cpu() - cpu)
    return {key: (statistics.median(v), min(v), max(v)) for key, v in times.items()}


def _children_cpu() -> float:
    """User + system CPU seconds of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", action="append", default=[], help="name=path (default: .)")
    parser.add_argument("--sizes", default="1,9.9,10.1,24,30,92", help="message sizes in MiB")
    parser.add_argument("--runs", type=int, default=7, help="startup runs per tree")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    trees = {
        name: Path(path).resolve()
        for name, path in (item.split("=", 1) for item in args.tree or ["this=."])
    }
    base = Path(tempfile.mkdtemp(prefix="microintern-bench-inbound-memory-"))
    try:
        startup = bench_startup(trees, args.runs, base)
        print("| command | " + " | ".join(trees) + " |")
        print("|---|" + "---:|" * len(trees))
        for command in ("import_mail", "fetch_mail"):
            for measure in ("wall", "cpu"):
                cells = [
                    "{:.2f} s ({:.2f}–{:.2f})".format(*startup[(name, command, measure)])
                    for name in trees
                ]
                label = f"`{command}`, nothing to do: {measure} time (median, min–max)"
                print(f"| {label} | " + " | ".join(cells) + " |")
        print()
        rows = bench_memory(trees, [float(s) for s in args.sizes.split(",")], base)
        print("| message | tree | path | RSS before | peak RSS | message cost | time | ended as |")
        print("|---:|---|---|---:|---:|---:|---:|---|")
        for _size_mb, size, name, path, r in rows:
            if "held_mb" in r:
                print(
                    f"| {size / MB:.1f} MB | {name} | {path} | | {r['peak_mb']:.0f} MB traced | "
                    f"({r['held_mb']:.0f} MB held after) | {r['seconds']:.2f} s | {r['outcome']} |"
                )
                continue
            ended = r["state"] + (" (headers only)" if r["headers_only"] else "")
            print(
                f"| {size / MB:.1f} MB | {name} | {path} | {r['before_mb']:.0f} MB | "
                f"{r['peak_mb']:.0f} MB | {r['peak_mb'] - r['before_mb']:.0f} MB | "
                f"{r['seconds']:.2f} s | {ended} |"
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
