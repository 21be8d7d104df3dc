"""Benchmark process start: Django setup + the URL configuration, and a command's memory.

Every web worker, task worker and management command pays for what its imports load before
it does any work. Measured, each in fresh processes of this interpreter:

* **setup + URLs**: wall and CPU time from ``import django`` to a resolved URL
  configuration (``django.setup()``, ``import microintern.urls``, the resolver's patterns),
  timed inside the process; and the wall time of the whole process from outside
  (interpreter start included). Median of ``--runs`` runs.
* **command RSS**: a process set up as ``python -m microintern <command>`` is before its
  ``handle()`` runs — ``django.setup()``, the command's module loaded, the URL configuration
  loaded (the system checks every command runs load it) — then ``VmRSS`` from
  ``/proc/self/status``. Median of the runs, per command. Also the peak RSS (``ru_maxrss``)
  of a real ``python -m microintern check``.
* **imports**: one ``python -X importtime`` run of the setup + URLs probe: the time spent
  importing each heavy library's own modules, and all imports together (``-X importtime``
  itself slows imports down, so these add up to more than the plain wall time).

Trees are compared side by side, runs interleaved so that a change in the machine's load
touches every tree alike::

    .venv/bin/python bench/bench_startup.py                              # this tree
    git worktree add /tmp/startup-before <commit>
    .venv/bin/python bench/bench_startup.py --tree before=/tmp/startup-before --tree after=.

Targets: setup + URLs ≤ 0.6 s (median, inside the process); a command ≤ 120 MB RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETUP_SECONDS_TARGET = 0.6
COMMAND_RSS_MB_TARGET = 120
HEAVY = ("scipy", "statsmodels", "pandas", "numpy", "openpyxl", "fpdf", "PIL", "bs4", "flufl")
COMMANDS = ("check", "import_mail", "db_worker")
WATCHED = ("microintern.applications.certificate", "microintern.mail.inbound.classify")
"""Project modules whose whole import (``-X importtime`` cumulative) is shown: the ones that
still load a heavy library when a process starts (fpdf2; flufl.bounce, and BeautifulSoup
through parse.py, which classify.py imports first)."""

SETUP_PROBE = """
import time
wall, cpu = time.perf_counter(), time.process_time()
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microintern.settings")
import django
django.setup()
from django.urls import get_resolver
import microintern.urls
get_resolver().url_patterns
print(json.dumps({
    "wall": time.perf_counter() - wall,
    "cpu": time.process_time() - cpu,
    "heavy": sorted(n for n in %(heavy)r if n in sys.modules),
}))
"""

COMMAND_PROBE = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microintern.settings")
import django
django.setup()
from django.core.management import get_commands, load_command_class
name = %(command)r
load_command_class(get_commands()[name], name)
from django.urls import get_resolver
import microintern.urls
get_resolver().url_patterns
status = dict(
    line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line
)
print(json.dumps({"rss_mb": int(status["VmRSS"].split()[0]) / 1024}))
"""

IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)$")
"""``import time: <self µs> | <cumulative µs> | <indent><module>``"""


def _env(tree: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(tree / "src"),
        "DJANGO_SETTINGS_MODULE": "microintern.settings",
    }


def _run_json(tree: Path, code: str) -> tuple[dict, float]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=_env(tree),
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1]), time.perf_counter() - start


def _check_peak_mb(tree: Path) -> float:
    process = subprocess.Popen(
        [sys.executable, "-m", "microintern", "check"],
        env=_env(tree),
        cwd=tree,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"`python -m microintern check` failed in {tree}")
    return usage.ru_maxrss / 1024


def _import_times(tree: Path) -> dict[str, float]:
    """Seconds spent importing each heavy library's modules, and all modules of the probe.

    Each figure is the sum of the "self" times ``-X importtime`` reports for the modules of
    that top-level package, so nested libraries are not counted twice (pandas, which
    statsmodels loads, is in the pandas row only). For the :data:`WATCHED` project modules,
    the cumulative time of their import, everything they load included.
    """
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", SETUP_PROBE % {"heavy": HEAVY}],
        env=_env(tree),
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, float] = {}
    total = 0.0
    for line in done.stderr.splitlines():
        match = IMPORTTIME.match(line)
        if not match:
            continue
        seconds, name = int(match[1]) / 1e6, match[4]
        top = name.split(".")[0]
        total += seconds
        if top in HEAVY:
            found[top] = found.get(top, 0.0) + seconds
        if name in WATCHED:
            found[name] = int(match[2]) / 1e6
    found["all imports"] = total
    return found


def measure(trees: dict[str, Path], runs: int, commands: tuple[str, ...]) -> dict:
    results = {
        label: {"setup": [], "process": [], "cpu": [], "rss": {c: [] for c in commands}}
        for label in trees
    }
    heavy: dict[str, list[str]] = {}
    for _ in range(runs):
        for label, tree in trees.items():
            found, process = _run_json(tree, SETUP_PROBE % {"heavy": HEAVY})
            results[label]["setup"].append(found["wall"])
            results[label]["cpu"].append(found["cpu"])
            results[label]["process"].append(process)
            heavy[label] = found["heavy"]
            for command in commands:
                found, _ = _run_json(tree, COMMAND_PROBE % {"command": command})
                results[label]["rss"][command].append(found["rss_mb"])
    summary = {}
    for label, tree in trees.items():
        r = results[label]
        summary[label] = {
            "setup_s": statistics.median(r["setup"]),
            "setup_cpu_s": statistics.median(r["cpu"]),
            "process_s": statistics.median(r["process"]),
            "setup_range_s": [min(r["setup"]), max(r["setup"])],
            "command_rss_mb": {c: statistics.median(v) for c, v in r["rss"].items()},
            "check_peak_rss_mb": _check_peak_mb(tree),
            "heavy_loaded": heavy[label],
            "import_s": _import_times(tree),
        }
    return summary


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def report(summary: dict, runs: int, load_before: str) -> str:
    labels = list(summary)
    lines = [
        f"runs: {runs} per tree, interleaved; load average (1, 5, 15 min) before: "
        f"{load_before}, after: {_load()}",
        "",
        "| | " + " | ".join(labels) + " |",
        "|---|" + "---:|" * len(labels),
    ]

    def row(name, values):
        lines.append(f"| {name} | " + " | ".join(values) + " |")

    s = summary
    row(
        f"setup + URLs, wall, median (target ≤ {SETUP_SECONDS_TARGET} s)",
        [f"{s[x]['setup_s']:.3f} s" for x in labels],
    )
    row(
        "setup + URLs, wall, min–max",
        [f"{s[x]['setup_range_s'][0]:.3f}–{s[x]['setup_range_s'][1]:.3f} s" for x in labels],
    )
    row("setup + URLs, CPU, median", [f"{s[x]['setup_cpu_s']:.3f} s" for x in labels])
    row("whole process, wall, median", [f"{s[x]['process_s']:.3f} s" for x in labels])
    for command in s[labels[0]]["command_rss_mb"]:
        row(
            f"`{command}` RSS before work, median (target ≤ {COMMAND_RSS_MB_TARGET} MB)",
            [f"{s[x]['command_rss_mb'][command]:.0f} MB" for x in labels],
        )
    row("`check` peak RSS (ru_maxrss)", [f"{s[x]['check_peak_rss_mb']:.0f} MB" for x in labels])
    for name in [*HEAVY, "all imports", *WATCHED]:
        values = [s[x]["import_s"].get(name) for x in labels]
        if any(v is not None for v in values):
            kind = "self, all" if name == "all imports" else "self"
            if name in WATCHED:
                name, kind = f"`{name}`", "cumulative"
            row(
                f"-X importtime, {kind}: {name}",
                ["not loaded" if v is None else f"{v:.3f} s" for v in values],
            )
    row("heavy libraries loaded", [", ".join(s[x]["heavy_loaded"]) or "none" for x in labels])
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--tree",
        action="append",
        metavar="LABEL=PATH",
        help="a checkout to measure (its src/ goes on PYTHONPATH); repeat to compare",
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--commands", default=",".join(COMMANDS))
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    trees = {}
    for item in args.tree or [f"this tree={ROOT}"]:
        label, _, path = item.partition("=")
        trees[label] = Path(path).resolve()
    commands = tuple(c for c in args.commands.split(",") if c)
    load_before = _load()
    summary = measure(trees, args.runs, commands)
    print(json.dumps(summary, indent=2) if args.json else report(summary, args.runs, load_before))


if __name__ == "__main__":
    main()
