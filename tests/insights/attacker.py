"""An insider who solves equations: recover exact counts from the dashboard's printed strings.

The attacker knows the rules (HESA rounding to 5, halves up; derived figures computed from
the published counts) and every table the dashboard prints for one filter: the funnel by
each characteristic with its "All students" row, and the funnel by every pair of
characteristics. They also know the structure: each pair table adds up to both of its
one-characteristic tables, every view adds up to the same stage totals, and the stages only
narrow (eligible ≥ interested ≥ offered ≥ accepted ≥ attended ≥ gave feedback).

For every count they then solve two integer programmes (smallest and largest exact value
consistent with everything printed). A count is *recovered* when both agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from microintern.insights.disclosure import SUPPRESSED

STAGES = 6
NARROWING = [(1, 0), (2, 1), (3, 2), (4, 3), (5, 4)]
"""(later stage, earlier stage): a later stage never holds more people."""


@dataclass
class Model:
    """Integer variables with bounds, and linear equalities / inequalities between them."""

    low: list[float] = field(default_factory=list)
    high: list[float] = field(default_factory=list)
    rows: list[dict[int, float]] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    printed: list[str] = field(default_factory=list)

    def variable(self, name: str, printed: str) -> int:
        """A count printed as ``printed`` ("..", or a multiple of 5 it was rounded to)."""
        self.names.append(name)
        self.printed.append(printed)
        if printed == SUPPRESSED:
            self.low.append(0)
            self.high.append(np.inf)
        else:
            value = int(printed)
            self.low.append(max(0, value - 2))
            self.high.append(value + 2)
        return len(self.names) - 1

    def equal(self, terms: dict[int, float]) -> None:
        self.rows.append(terms)
        self.lower.append(0)
        self.upper.append(0)

    def at_most(self, smaller: int, larger: int) -> None:
        self.rows.append({smaller: 1, larger: -1})
        self.lower.append(-np.inf)
        self.upper.append(0)

    def extremes(self, index: int) -> tuple[float, float]:
        """The smallest and largest value variable ``index`` can take."""
        return self.extremes_of({index: 1})

    def extremes_of(self, terms: dict[int, float]) -> tuple[float, float]:
        """The smallest and largest value the sum of ``terms`` (index: coefficient) can take."""
        size = len(self.names)
        matrix = np.zeros((len(self.rows), size))
        for r, row in enumerate(self.rows):
            for column, coefficient in row.items():
                matrix[r, column] += coefficient
        constraints = LinearConstraint(matrix, self.lower, self.upper)
        bounds = Bounds(self.low, self.high)
        integrality = np.ones(size)
        found = []
        for sign in (1, -1):
            objective = np.zeros(size)
            for column, coefficient in terms.items():
                objective[column] = sign * coefficient
            result = milp(
                objective, constraints=constraints, bounds=bounds, integrality=integrality
            )
            assert result.success, f"the printed figures must be consistent: {result.message}"
            found.append(round(sum(c * result.x[i] for i, c in terms.items())))
        return found[0], found[1]


class _ExactModel(Model):
    """The model of unrounded tables: each printed count is the count."""

    def variable(self, name: str, printed: str) -> int:
        index = super().variable(name, printed)
        self.low[index] = self.high[index] = int(printed)
        return index


def stage_columns(row: list[str]) -> list[str]:
    """The six printed counts of a funnel row (label first)."""
    return row[1 : 1 + STAGES]


def build(
    one_way: dict[str, list[list[str]]],
    two_way: dict[tuple[str, str], list[list[str]]],
    *,
    exact: bool = False,
):
    """The attacker's model from printed tables.

    ``one_way[c]`` is the funnel table by characteristic ``c``, rows as printed (last row
    "All students"); ``two_way[(c1, c2)]`` the pair table (rows: g1, g2, counts…).
    With ``exact`` the tables are the unrounded ones and every count is known.
    Returns the model and, per printed count, its variable index and printed string.
    """
    model = _ExactModel() if exact else Model()
    totals = None
    cells: dict[tuple, int] = {}
    for characteristic, rows in one_way.items():
        *groups, all_students = rows
        printed_totals = stage_columns(all_students)
        if totals is None:
            totals = [model.variable(f"total/{s}", printed_totals[s]) for s in range(STAGES)]
        else:
            for s in range(STAGES):  # the same people: the same printed total in every view
                assert printed_totals[s] == model.printed[totals[s]], "totals must agree"
        for row in groups:
            for s, printed in enumerate(stage_columns(row)):
                cells[(characteristic, row[0], s)] = model.variable(
                    f"{characteristic}={row[0]}/{s}", printed
                )
        for s in range(STAGES):
            terms = {cells[(characteristic, row[0], s)]: 1 for row in groups}
            terms[totals[s]] = -1
            model.equal(terms)
    for (first, second), rows in two_way.items():
        pair_cells: dict[tuple, int] = {}
        for row in rows:
            for s, printed in enumerate(row[2 : 2 + STAGES]):
                pair_cells[(row[0], row[1], s)] = model.variable(
                    f"{first}={row[0]},{second}={row[1]}/{s}", printed
                )
        for s in range(STAGES):
            for g1 in {k[0] for k in pair_cells}:
                terms = {v: 1 for k, v in pair_cells.items() if k[0] == g1 and k[2] == s}
                terms[cells[(first, g1, s)]] = -1
                model.equal(terms)
            for g2 in {k[1] for k in pair_cells}:
                terms = {v: 1 for k, v in pair_cells.items() if k[1] == g2 and k[2] == s}
                terms[cells[(second, g2, s)]] = -1
                model.equal(terms)
    by_prefix: dict[str, dict[int, int]] = {}
    for index, name in enumerate(model.names):
        prefix, stage = name.rsplit("/", 1)
        by_prefix.setdefault(prefix, {})[int(stage)] = index
    for stages in by_prefix.values():
        for later, earlier in NARROWING:
            model.at_most(stages[later], stages[earlier])
    return model


def recovered(model: Model) -> list[tuple[str, int]]:
    """Every count whose exact value the printed figures pin down, with that value."""
    found = []
    for index, name in enumerate(model.names):
        low, high = model.extremes(index)
        if low == high:
            found.append((name, low))
    return found


def propagate(model: Model) -> tuple[list[float], list[float]]:
    """Interval propagation to a fixed point: the bounds every equation and inequality
    implies, one constraint at a time. Weaker than :meth:`Model.extremes` but fast; a count
    it pins, the integer programme pins too."""
    low, high = list(model.low), list(model.high)
    changed = True
    while changed:
        changed = False
        for terms, lower, upper in zip(model.rows, model.lower, model.upper, strict=True):
            for index, coefficient in terms.items():
                others_low = others_high = 0.0
                for other, c in terms.items():
                    if other == index:
                        continue
                    a, b = (
                        (c * low[other], c * high[other])
                        if c > 0
                        else (
                            c * high[other],
                            c * low[other],
                        )
                    )
                    others_low += a
                    others_high += b
                # lower <= coefficient * x + others <= upper
                if coefficient > 0:
                    new_low = (lower - others_high) / coefficient
                    new_high = (upper - others_low) / coefficient
                else:
                    new_low = (upper - others_low) / coefficient
                    new_high = (lower - others_high) / coefficient
                new_low = np.ceil(new_low - 1e-9) if np.isfinite(new_low) else -np.inf
                new_high = np.floor(new_high + 1e-9) if np.isfinite(new_high) else np.inf
                if new_low > low[index]:
                    low[index] = new_low
                    changed = True
                if new_high < high[index]:
                    high[index] = new_high
                    changed = True
    return low, high


def pinned_by_propagation(model: Model) -> list[tuple[str, int]]:
    low, high = propagate(model)
    return [(n, int(lo)) for n, lo, hi in zip(model.names, low, high, strict=True) if lo == hi]
