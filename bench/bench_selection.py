"""Benchmark the selection engine against both `matching` solvers and a floor.

Instances (seeded, identical for every contender): n students, n // 8 micro-internships of
capacity 10, 5 ranked choices per student drawn without replacement from a Zipf(1)
popularity, three priority tiers (30 % / 30 % / 40 %), a soft reserve of 3 places for tier 2
on every micro-internship, and a soft programme cap of 4 (20 programmes).

Usage::

    .venv/bin/python bench/bench_selection.py                  # the full table (markdown)
    .venv/bin/python bench/bench_selection.py --one engine 100000   # one measurement (JSON)

Each measurement runs in a fresh subprocess: wall time is the best of 3 runs
(time.perf_counter, no tracing, freeing the result not counted), beside the CPU time of
the process over the same runs (time.process_time; less disturbed by other load); peak memory is
tracemalloc's peak over one further traced run (allocations made by the contender only,
instance excluded) and ru_maxrss of the whole subprocess (interpreter + instance +
contender) taken before that traced run, beside ru_maxrss right after generating the
instance. The machine's 1-minute load average is recorded before each row's timed runs, and
`uptime` is printed when the table starts and ends: on a shared machine it says how far the
wall times can be trusted.

"engine" times `allocate` alone: since its explanations are built when first read, it
does not include them. "engine, every explanation read" adds reading every student's
structured explanation once, in priority order, as the app does when it stores a round's
result; that is the honest figure for a whole round.
"""

from __future__ import annotations

import argparse
import bisect
import hmac
import itertools
import json
import os
import random
import resource
import subprocess
import sys
import threading
import time
import tracemalloc
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from microintern.selection.engine import (  # noqa: E402
    MicroInternship,
    Reserve,
    Student,
    allocate,
)

SEED = b"bench-seed-2025"


def make_instance(n: int, seed: int = 1) -> tuple[list[MicroInternship], list[Student]]:
    """Generate the benchmark instance for ``n`` students (deterministic for a seed)."""
    rng = random.Random(seed)
    m = max(1, n // 8)
    mis = [
        MicroInternship(f"mi{j}", 10, reserve=Reserve(tier=2, seats=3), programme_cap=4)
        for j in range(m)
    ]
    popularity = list(range(m))
    rng.shuffle(popularity)
    cum = list(itertools.accumulate(1.0 / (k + 1) for k in range(m)))
    total = cum[-1]
    k_choices = min(5, m)
    students = []
    for i in range(n):
        picked: list[int] = []
        while len(picked) < k_choices:
            j = popularity[bisect.bisect_left(cum, rng.random() * total)]
            if j not in picked:
                picked.append(j)
        u = rng.random()
        tier = 1 if u < 0.3 else 2 if u < 0.6 else 3
        students.append(
            Student(f"s{i}", tier, f"prog{rng.randrange(20)}", tuple(f"mi{j}" for j in picked))
        )
    return mis, students


def run_engine(mis, students):
    """The engine, explanations included (structured, not rendered)."""
    return allocate(mis, students, SEED)


def run_engine_explained(mis, students):
    """The engine, then every student's structured explanation read once (as the app does)."""
    result = allocate(mis, students, SEED)
    explanations = result.explanations
    for sid in result.priority_order:
        explanations[sid]
    return result


def run_engine_no_reserves(mis, students):
    """The engine on the same instance with reserves switched off (what `matching` solves)."""
    plain = [MicroInternship(mi.id, mi.capacity, None, mi.programme_cap) for mi in mis]
    return allocate(plain, students, SEED)


def run_floor(mis, students):
    """The floor: read every preference list once."""
    count = 0
    for s in students:
        for _ in s.choices:
            count += 1
    return count


def _matching_inputs(mis, students):
    """Student preference lists, and each micro-internship's applicants in the engine's
    common priority order (tier, then lottery): what both `matching` games are given."""
    position = {s.id: (s.tier, hmac.digest(SEED, str(s.id).encode(), "sha256")) for s in students}
    student_prefs = {s.id: list(s.choices) for s in students if s.choices}
    ranked_by: dict[str, list[str]] = {mi.id: [] for mi in mis}
    for s in students:
        for c in s.choices:
            ranked_by[c].append(s.id)
    used = [mi for mi in mis if ranked_by[mi.id]]
    ranked = {mi.id: sorted(ranked_by[mi.id], key=position.__getitem__) for mi in used}
    return student_prefs, used, ranked


def run_matching_hr(mis, students):
    """The `matching` package's HospitalResident (its faster solver): one hospital per MI,
    ranking its applicants by the engine's common priority order; no reserves."""
    from matching.games import HospitalResident

    student_prefs, used, ranked = _matching_inputs(mis, students)

    def solve():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            game = HospitalResident.create_from_dictionaries(
                student_prefs, ranked, {mi.id: mi.capacity for mi in used}
            )
            box.append(game.solve(optimal="resident"))

    return _on_a_big_stack(solve, box := [])


def run_matching(mis, students):
    """The `matching` package's StudentAllocation, one project and supervisor per MI.

    Its supervisors rank students by the engine's common priority order; it has no notion
    of reserves, so it solves the same instance without them (its best case)."""
    from matching.games import StudentAllocation

    student_prefs, used, ranked = _matching_inputs(mis, students)
    supervisor_prefs = {f"sup-{ref}": order for ref, order in ranked.items()}

    def solve():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            game = StudentAllocation.create_from_dictionaries(
                student_prefs,
                supervisor_prefs,
                {mi.id: f"sup-{mi.id}" for mi in used},
                {mi.id: mi.capacity for mi in used},
                {f"sup-{mi.id}": mi.capacity for mi in used},
            )
            box.append(game.solve(optimal="student"))

    return _on_a_big_stack(solve, box := [])


def _on_a_big_stack(solve, box: list):
    """Run `solve` (which appends its result to `box`) and return the result.

    `matching`'s constructors deep-copy the player graph recursively, which overflows
    Python's default recursion limit from about 1,000 students: run it on a thread with a
    large stack and a high limit."""
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(2_000_000)
    threading.stack_size(1 << 30)
    try:
        worker = threading.Thread(target=solve)
        worker.start()
        worker.join()
    finally:
        sys.setrecursionlimit(old_limit)
    return box[0]


CONTENDERS = {
    "floor": run_floor,
    "engine": run_engine,
    "engine, every explanation read": run_engine_explained,
    "engine, no reserves": run_engine_no_reserves,
    "matching": run_matching,
    "matching HR": run_matching_hr,
}


def measure(name: str, n: int, repeats: int) -> dict:
    """Measure one contender on the size-``n`` instance in this process."""
    mis, students = make_instance(n)
    instance_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    load = os.getloadavg()[0]
    fn = CONTENDERS[name]
    times = []
    cpu = []
    for _ in range(repeats):
        c0 = time.process_time()
        t0 = time.perf_counter()
        result = fn(mis, students)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        del result  # freeing the result is not part of producing it
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # before tracing
    tracemalloc.start()
    result = fn(mis, students)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return {
        "contender": name,
        "n": n,
        "best_s": min(times),
        "best_cpu_s": min(cpu),
        "runs": len(times),
        "traced_peak_mb": peak / 1e6,
        "maxrss_mb": maxrss_kib * 1024 / 1e6,
        "instance_rss_mb": instance_rss_kib * 1024 / 1e6,
        "load": load,
    }


def measure_in_subprocess(name: str, n: int, repeats: int) -> dict:
    """Run :func:`measure` in a fresh interpreter and return its JSON result."""
    out = subprocess.run(
        [sys.executable, __file__, "--one", name, str(n), "--repeats", str(repeats)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def main() -> None:
    """Print the results table, or one JSON measurement with ``--one``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=2, metavar=("CONTENDER", "N"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--skip", action="append", default=[], help="leave out a contender (repeatable)"
    )
    args = parser.parse_args()
    if args.one:
        name, n = args.one
        print(json.dumps(measure(name, int(n), args.repeats)))
        return
    plan = [
        (name, n, 1 if name.startswith("matching") and n == 10_000 else 3)
        for n in (1_000, 10_000, 100_000, 1_000_000)
        for name in CONTENDERS
        if name not in args.skip
        and not (name.startswith("matching") and n >= 100_000)
        and not (name == "engine, no reserves" and n == 1_000_000)
        and not (name == "engine, every explanation read" and n < 100_000)
    ]
    started = _uptime()
    rows = []
    for name, n, repeats in plan:
        r = measure_in_subprocess(name, n, repeats)
        rows.append(r)
        print(json.dumps(r), file=sys.stderr, flush=True)
    print(f"Started: {started}")
    print(f"Ended:   {_uptime()}")
    print()
    print(
        "| students | contender | wall (best of runs) | CPU (best of runs) | runs | traced peak "
        "| max RSS (process) | RSS after generating instance | load before |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['n']:,} | {r['contender']} | {r['best_s'] * 1000:,.1f} ms "
            f"| {r['best_cpu_s'] * 1000:,.1f} ms | {r['runs']} "
            f"| {r['traced_peak_mb']:,.1f} MB | {r['maxrss_mb']:,.0f} MB "
            f"| {r['instance_rss_mb']:,.0f} MB | {r['load']:.1f} |"
        )
    _print_ratios(rows)


def _uptime() -> str:
    """The time and load averages, as `uptime` prints them."""
    return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()


def _print_ratios(rows: list[dict]) -> None:
    """How many times faster the engine is than each `matching` solver, at each size both ran."""
    by = {(r["contender"], r["n"]): r for r in rows}
    for (name, n), r in sorted(by.items(), key=lambda item: item[0][1]):
        for engine in ("engine", "engine, every explanation read", "engine, no reserves"):
            if not name.startswith("matching") or (engine, n) not in by:
                continue
            e = by[(engine, n)]
            print(
                f"{n:,} students: {name} / {engine}: "
                f"{r['best_cpu_s'] / e['best_cpu_s']:,.0f}x on CPU, "
                f"{r['best_s'] / e['best_s']:,.0f}x on wall time"
            )


if __name__ == "__main__":
    main()
