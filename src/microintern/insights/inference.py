"""What a reader can work out of printed counts, and which counts to hide so that it is nothing.

Pure Python and scipy, no Django. A printed table is more than its cells: a reader who knows
the rounding rule (:func:`disclosure.rounding_interval`) also knows that groups add up to
their totals, that a two-characteristic table adds up to both one-characteristic tables,
and that the funnel's stages only narrow (a later stage never holds more people than an
earlier one). Put together, these facts can place a count far more precisely than its
printed value: a hidden count between two printed stages is bounded by both, and a row of
cells bounded from below can push its total above its printed interval.

:func:`reader_intervals` propagates every such fact to a fixed point (fast, and never
claims more than is true). :func:`guard_counts` hides further printed counts until, by the
exact integer programme:

* no count of the table can be pinned to one value, and
* every count printed elsewhere that the table adds up to (totals, margins) can still take
  both ends of the interval a reader knew it to without this table.

The second rule is what lets the tables of a page be combined: each one leaves the shared
margins exactly as wide as before, so no pair of tables can pin one between them. The guard
looks only at printed figures, so that a count is hidden reveals nothing the figures do not.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .disclosure import Interval, rounding_interval

if TYPE_CHECKING:
    import numpy as np

Count = Hashable
"""The name of one count in a table, e.g. (group, stage)."""

Sum = tuple[Sequence[Count], Count]
"""Counts that add up to another count: (parts, total)."""

Order = tuple[Count, Count]
"""(smaller, larger): the first count is never above the second."""


@dataclass
class CountFacts:
    """Everything a reader knows about how the counts of a table hang together."""

    sums: list[Sum] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)

    def add_sum(self, parts: Sequence[Count], total: Count) -> None:
        self.sums.append((tuple(parts), total))

    def add_order(self, smaller: Count, larger: Count) -> None:
        self.orders.append((smaller, larger))


def _starting_intervals(
    printed: Mapping[Count, int | None], known: Mapping[Count, Interval]
) -> dict[Count, list[float]]:
    bounds = {key: list(rounding_interval(value)) for key, value in printed.items()}
    for key, (low, high) in known.items():
        bounds[key] = [low, high]
    return bounds


def reader_intervals(
    printed: Mapping[Count, int | None], known: Mapping[Count, Interval], facts: CountFacts
) -> dict[Count, Interval]:
    """The interval each count is known to lie in, from the printed counts (``None``: hidden),
    what is ``known`` of counts printed elsewhere (margins), and the ``facts``.

    Interval propagation over every sum and order to a fixed point. Counts are whole numbers,
    so every bound is too."""
    bounds = _starting_intervals(printed, known)
    constraints: list[tuple[str, tuple]] = [("sum", s) for s in facts.sums]
    constraints += [("order", o) for o in facts.orders]
    touching: dict[Count, list[int]] = {}
    for index, (kind, (first, second)) in enumerate(constraints):
        for key in (*first, second) if kind == "sum" else (first, second):
            touching.setdefault(key, []).append(index)
    waiting = list(range(len(constraints)))
    queued = set(waiting)
    while waiting:
        index = waiting.pop()
        queued.discard(index)
        kind, (first, second) = constraints[index]
        if kind == "sum":
            changed = _tighten_sum(bounds, first, second)
        else:
            changed = _tighten_order(bounds, first, second)
        for key in changed:
            for other in touching[key]:
                if other not in queued:
                    queued.add(other)
                    waiting.append(other)
    return {key: (low, high) for key, (low, high) in bounds.items()}


def _narrow(bounds: dict, key: Count, low: float, high: float, changed: list) -> None:
    current = bounds[key]
    if low > current[0] or high < current[1]:
        current[0], current[1] = max(current[0], low), min(current[1], high)
        changed.append(key)


def _tighten_sum(bounds: dict, parts: Sequence[Count], total: Count) -> list[Count]:
    changed: list[Count] = []
    lows = [bounds[p][0] for p in parts]
    highs = [bounds[p][1] for p in parts]
    low_sum = sum(lows)
    finite_high_sum = sum(h for h in highs if h != math.inf)
    unbounded = sum(h == math.inf for h in highs)
    high_sum = math.inf if unbounded else finite_high_sum
    _narrow(bounds, total, low_sum, high_sum, changed)
    total_low, total_high = bounds[total]
    for part, low, high in zip(parts, lows, highs, strict=True):
        others_low = low_sum - low
        if high == math.inf:
            others_high = math.inf if unbounded > 1 else finite_high_sum
        else:
            others_high = math.inf if unbounded else finite_high_sum - high
        _narrow(
            bounds,
            part,
            max(0, total_low - others_high),
            total_high - others_low,
            changed,
        )
    return changed


def _tighten_order(bounds: dict, smaller: Count, larger: Count) -> list[Count]:
    changed: list[Count] = []
    _narrow(bounds, smaller, -math.inf, bounds[larger][1], changed)
    _narrow(bounds, larger, bounds[smaller][0], math.inf, changed)
    return changed


EXPLORING_ROUNDS = 3
"""Random directions tried before the exact checks (witnesses for most counts at once)."""


class _ExactModel:
    """The counts as an integer programme (scipy's HiGHS), for the smallest and largest value
    each can take. Feasible points found on the way are kept as witnesses: hiding a count
    only widens its bounds, so every witness stays feasible and proves what it shows."""

    def __init__(self, bounds: Mapping[Count, Interval], facts: CountFacts) -> None:
        import numpy as np  # noqa: PLC0415 - heavy (NumPy), loaded only when a table is guarded
        from scipy.optimize import LinearConstraint  # noqa: PLC0415 - heavy (SciPy), loaded only when a table is guarded

        self.keys = list(bounds)
        self.column = {key: i for i, key in enumerate(self.keys)}
        rows, lower, upper = [], [], []
        for parts, total in facts.sums:
            row = np.zeros(len(self.keys))
            for part in parts:
                row[self.column[part]] += 1
            row[self.column[total]] -= 1
            rows.append(row)
            lower.append(0)
            upper.append(0)
        for smaller, larger in facts.orders:
            row = np.zeros(len(self.keys))
            row[self.column[smaller]] += 1
            row[self.column[larger]] -= 1
            rows.append(row)
            lower.append(-np.inf)
            upper.append(0)
        matrix = np.array(rows)
        self.constraints = LinearConstraint(matrix, lower, upper)
        equal = np.array(lower) == 0
        self.equalities = matrix[equal]
        self.inequalities = matrix[~equal]
        self.inequality_bounds = np.zeros(self.inequalities.shape[0])
        self.low = np.array([bounds[key][0] for key in self.keys], dtype=float)
        self.high = np.array([bounds[key][1] for key in self.keys], dtype=float)
        self.witnesses: list[np.ndarray] = []

    def widen(self, key: Count, interval: Interval) -> None:
        column = self.column[key]
        self.low[column], self.high[column] = interval

    def extreme(self, key: Count, smallest: bool, nudge: Mapping[Count, float]) -> float:
        """The smallest (or largest) value of ``key``; ``nudge`` weighs other counts toward the
        ends still to be shown, too little to change the optimum of ``key`` itself."""
        import numpy as np  # noqa: PLC0415 - heavy (NumPy), loaded only when a table is guarded

        objective = np.zeros(len(self.keys))
        for other, weight in nudge.items():
            objective[self.column[other]] = weight
        objective[self.column[key]] = 1.0 if smallest else -1.0
        result = self._solve(objective, {})
        if not result.success:
            # HiGHS's presolve has been seen to call a feasible programme with small
            # weights infeasible; the plain objective without presolve is the fallback
            plain = np.zeros(len(self.keys))
            plain[self.column[key]] = objective[self.column[key]]
            result = self._solve(plain, {"presolve": False})
        if not result.success:
            raise ValueError(f"printed counts that no population fits: {result.message}")
        point = np.round(result.x)
        self.witnesses.append(point)
        return point[self.column[key]]

    def explore(self, rounds: int) -> None:
        """Feasible points in random directions (a fixed seed: the same every time), each a
        witness for many counts at once; only speeds the checks up, never changes them."""
        import numpy as np  # noqa: PLC0415 - heavy (NumPy), loaded only when a table is guarded

        rng = np.random.default_rng(0)
        for _ in range(rounds):
            objective = rng.choice([-1.0, 1.0], size=len(self.keys)) * rng.random(len(self.keys))
            result = self._solve(objective, {})
            if result.success:
                self.witnesses.append(np.round(result.x))

    def _solve(self, objective: np.ndarray, options: dict):
        """The linear relaxation first: on these tables its optimum is nearly always whole,
        and then it is the integer optimum too (and twice as fast to find)."""
        import numpy as np  # noqa: PLC0415 - heavy (NumPy), loaded only when a table is guarded
        from scipy.optimize import Bounds, linprog, milp  # noqa: PLC0415 - heavy (SciPy), loaded only when a table is guarded

        relaxed = linprog(
            objective,
            A_ub=self.inequalities,
            b_ub=self.inequality_bounds,
            A_eq=self.equalities,
            b_eq=np.zeros(self.equalities.shape[0]),
            bounds=np.column_stack([self.low, self.high]),
            method="highs",
        )
        if relaxed.success and np.allclose(relaxed.x, np.round(relaxed.x), atol=1e-7):
            return relaxed
        return milp(
            objective,
            constraints=self.constraints,
            bounds=Bounds(self.low, self.high),
            integrality=np.ones(len(self.keys)),
            options=options,
        )

    def seen(self, key: Count) -> tuple[float, float]:
        """The smallest and largest value of ``key`` among the witnesses."""
        column = self.column[key]
        values = [w[column] for w in self.witnesses]
        return (min(values), max(values)) if values else (math.inf, -math.inf)


def _nudge(model: _ExactModel, toward: Mapping[Count, bool]) -> dict[Count, float]:
    """Small weights pulling other counts toward the ends still to be shown (``True``: the
    low end), together too small to change the optimum of the count being solved for."""
    finite = {key: _span(model, key) for key in toward}
    finite = {key: span for key, span in finite.items() if span < math.inf}
    scale = 1 / (4 * (len(finite) + 1))
    return {
        key: (scale if toward[key] else -scale) / max(1.0, span) for key, span in finite.items()
    }


def _span(model: _ExactModel, key: Count) -> float:
    column = model.column[key]
    return model.high[column] - model.low[column]


def exact_intervals(model: _ExactModel, keys) -> dict[Count, Interval]:
    """The smallest and largest value of each count over every population fitting the
    figures. A witness at a count's own bound answers that end without solving."""
    intervals = {}
    for key in keys:
        column = model.column[key]
        ends = []
        for smallest in (True, False):
            seen_low, seen_high = model.seen(key)
            bound = model.low[column] if smallest else model.high[column]
            if (seen_low if smallest else seen_high) == bound:
                ends.append(bound)
            else:
                ends.append(model.extreme(key, smallest, {}))
        intervals[key] = (ends[0], ends[1])
    return intervals


def _exact_exposed(
    model: _ExactModel, cells: Sequence[Count], reference: Mapping[Count, Interval]
) -> dict[Count, tuple[bool, bool]]:
    """Exactly: cells a reader can pin to one value, and counts printed elsewhere whose
    ``reference`` interval they can no longer reach at one end (``(low end lost, high end
    lost)``)."""
    found: dict[Count, tuple[bool, bool]] = {}
    for key, (low, high) in reference.items():
        lost = []
        for smallest, target in ((True, low), (False, high)):
            seen_low, seen_high = model.seen(key)
            if (seen_low <= target) if smallest else (seen_high >= target):
                lost.append(False)
                continue
            toward = {other: smallest for other in reference if other != key}
            value = model.extreme(key, smallest, _nudge(model, toward))
            lost.append(value > target if smallest else value < target)
        if any(lost):
            found[key] = (lost[0], lost[1])
    for key in cells:
        seen_low, seen_high = model.seen(key)
        if seen_low < seen_high:
            continue
        if model.extreme(key, False, {}) > seen_low:
            continue
        if model.extreme(key, True, {}) < seen_low:
            continue
        found[key] = (True, True)
    return found


def _exposed_by_propagation(
    printed: Mapping[Count, int | None],
    intervals: Mapping[Count, Interval],
    reference: Mapping[Count, Interval],
) -> dict[Count, tuple[bool, bool]]:
    """What interval propagation alone shows (a quick first pass; it never flags wrongly)."""
    found = {}
    for key, (low, high) in reference.items():
        have_low, have_high = intervals[key]
        if have_low > low or have_high < high:
            found[key] = (have_low > low, have_high < high)
    for key in printed:
        low, high = intervals[key]
        if low == high:
            found[key] = (True, True)
    return found


@dataclass
class _Neighbours:
    """Which counts bound which, and from which side."""

    printed: Mapping[Count, int | None]
    facts: CountFacts
    sums_of: dict[Count, list[Sum]] = field(default_factory=dict)
    above: dict[Count, list[Count]] = field(default_factory=dict)
    below: dict[Count, list[Count]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for parts, total in self.facts.sums:
            for key in (*parts, total):
                self.sums_of.setdefault(key, []).append((parts, total))
        for smaller, larger in self.facts.orders:
            self.above.setdefault(smaller, []).append(larger)
            self.below.setdefault(larger, []).append(smaller)

    def bounding(self, key: Count, lower_end: bool, seen: set) -> set[Count]:
        """Printed counts that bound ``key`` at its lower (or upper) end, through hidden ones."""
        found: set[Count] = set()
        for parts, total in self.sums_of.get(key, ()):
            if key == total:
                for part in parts:
                    found |= self._through(part, lower_end, seen)
            else:
                found |= self._through(total, lower_end, seen)
                for part in parts:
                    if part != key:
                        found |= self._through(part, not lower_end, seen)
        for other in (self.below if lower_end else self.above).get(key, ()):
            found |= self._through(other, lower_end, seen)
        return found

    def _through(self, key: Count, lower_end: bool, seen: set) -> set[Count]:
        if key not in self.printed or (key, lower_end) in seen:
            return set()
        seen.add((key, lower_end))
        if self.printed[key] is not None:
            return {key}
        return self.bounding(key, lower_end, seen)


def guard_counts(
    printed: Mapping[Count, int | None],
    fixed: Mapping[Count, Interval],
    facts: CountFacts,
    reference: Mapping[Count, Interval] | None = None,
    *,
    known: bool = False,
) -> tuple[dict[Count, int | None], dict[Count, Interval]]:
    """The printed counts with further ones hidden (``None``) until a reader can pin none of
    them and every count printed elsewhere keeps its ``reference`` interval (what a reader
    knows of it without this table; default: its interval in ``fixed``); and, when
    ``known``, the exact interval a reader then knows each of this table's counts to.

    ``printed`` are this table's counts (``None``: already hidden); ``fixed`` the interval a
    reader has of each count printed elsewhere, from its printed value (never hidden here);
    ``facts`` how all of them add up and narrow. Each step hides, for every exposed count,
    the smallest printed count above 0 among those bounding it from the side it lost (ties:
    the first in ``printed``'s order): first while interval propagation shows a loss, then
    while the exact integer programme does. Stops when nothing is exposed or nothing
    bounding is left. The result depends on the arguments only and is remembered: pages
    print the same tables again and again."""
    key = (
        tuple(printed.items()),
        tuple(fixed.items()),
        tuple(facts.sums),
        tuple(facts.orders),
        None if reference is None else tuple(reference.items()),
        known,
    )
    shown, intervals = _guarded(key)
    return dict(shown), dict(intervals)


@functools.lru_cache(maxsize=1024)
def _guarded(key: tuple) -> tuple[tuple, tuple]:
    printed_items, fixed_items, sums, orders, reference_items, known = key
    printed, fixed = dict(printed_items), dict(fixed_items)
    reference = None if reference_items is None else dict(reference_items)
    shown, model = _guard(printed, fixed, CountFacts(list(sums), list(orders)), reference)
    intervals = exact_intervals(model, printed) if known else {}
    return tuple(shown.items()), tuple(intervals.items())


def _guard(printed, fixed, facts, reference):
    shown = dict(printed)
    reference = dict(fixed if reference is None else reference)
    order = {key: index for index, key in enumerate(printed)}
    neighbours = _Neighbours(shown, facts)
    bounds = {key: rounding_interval(value) for key, value in shown.items()} | dict(fixed)
    model = _ExactModel(bounds, facts)
    exact = False
    while True:
        if exact:
            found = _exact_exposed(model, list(shown), reference)
        else:
            intervals = reader_intervals(shown, fixed, facts)
            found = _exposed_by_propagation(shown, intervals, reference)
            if not found:
                exact = True
                model.explore(EXPLORING_ROUNDS)
                continue
        if not found:
            return shown, model
        choices: set[Count] = set()
        for key, (low_lost, high_lost) in found.items():
            bounding: set[Count] = set()
            for lower_end, lost in ((True, low_lost), (False, high_lost)):
                if lost:
                    bounding |= neighbours.bounding(key, lower_end, set())
            if not bounding and shown.get(key) is not None:
                bounding.add(key)
            if bounding:
                choices.add(_choose(bounding, shown, order))
        if not choices:
            return shown, model
        for chosen in choices:
            shown[chosen] = None
            model.widen(chosen, rounding_interval(None))


def _choose(candidates: set[Count], shown: Mapping[Count, int | None], order: dict) -> Count:
    """The count to hide: the smallest printed one above 0 (hiding a 0 widens least), then
    the first in the table's order."""
    return min(candidates, key=lambda key: (shown[key] == 0, shown[key], order[key]))
