"""Statistical disclosure control for every figure the platform shows or exports.

Pure Python, no Django: the dashboard, the CSV/XLSX exports and the impact report all pass
their exact figures through this module and print whatever it returns.

The rules (HESA standard rounding methodology)
----------------------------------------------
* **Counts** are rounded to the nearest multiple of 5, halves rounded up: 0, 1 and 2 become 0;
  2.5 becomes 5; 7.5 becomes 10 (:func:`hesa_round`).
* **Totals** are rounded *after* they are calculated from the exact figures, so a published
  row of rounded cells need not add up to its published rounded total.
* **Percentages** are suppressed when the population they are a percentage *of* (the
  denominator) is fewer than 22.5 people (:func:`protect_percentage`). They are calculated
  from the exact, unrounded figures.
* **Averages** (means, medians) based on 7 or fewer people are suppressed
  (:func:`protect_average`).
* A suppressed figure is shown as ``".."`` (:data:`SUPPRESSED`).

Secondary suppression
---------------------
A table publishes its row and column totals. If exactly one cell of a row is hidden, anyone
can recover it by subtracting the visible cells from the row total. :func:`protect_table`
therefore hides further cells until no row, no column, and neither margin (the row of column
totals, the column of row totals) has exactly one hidden figure. With HESA rounding the
subtraction would only recover the value to within rounding error, but the exact
(restricted) view and stricter primary rules make the guarantee worth having everywhere.

Output modes
------------
:class:`OutputMode.ROUNDED` is the only mode for general audiences.
:class:`OutputMode.UNROUNDED` shows exact figures with nothing hidden and marks every result
``restricted=True``; the caller (the Django permission layer) must only choose it for roles
allowed to see unrounded data, and must label the output as restricted.

Office for Students style
-------------------------
:func:`ofs_round` and :func:`ofs_percentage` implement the OfS dashboard convention (counts
to the nearest 10; ``[DPL]``, ``[DPH]`` and ``[low]`` markers), and :func:`pool_cohorts`
pools consecutive cohorts until a percentage has a denominator of at least 23, because a
single micro-internship cohort (at most 10 students) can never be published as one.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from numbers import Rational, Real

SUPPRESSED = ".."
"""How every suppressed figure is displayed."""

HESA_ROUNDING_BASE = 5
HESA_MIN_PERCENTAGE_POPULATION = Fraction(45, 2)
"""Percentages are suppressed when the denominator is below 22.5."""
HESA_MAX_SUPPRESSED_AVERAGE_POPULATION = 7
"""Averages based on this many people or fewer are suppressed."""

OFS_ROUNDING_BASE = 10
OFS_MIN_DENOMINATOR = 23
"""OfS: a percentage needs a denominator of at least 23 (``[low]`` below that)."""
OFS_DATA_PROTECTION_MARGIN = 2
"""OfS: numerator ≤ 2 is ``[DPL]``; numerator within 2 of the denominator is ``[DPH]``."""


class OutputMode(enum.Enum):
    """Whether figures are published (rounded and suppressed) or exact for restricted roles."""

    ROUNDED = "rounded"
    UNROUNDED = "unrounded"

    @property
    def restricted(self) -> bool:
        """True when the output contains unrounded figures and must be marked restricted."""
        return self is OutputMode.UNROUNDED

    @property
    def label(self) -> str:
        """Plain-English marker to print beside a table or export."""
        if self is OutputMode.UNROUNDED:
            return "Unrounded figures: restricted, not for publication"
        return "Counts rounded to the nearest 5; small populations suppressed (HESA rules)"


class CellStatus(enum.Enum):
    """Why a figure is or is not shown."""

    SHOWN = "shown"
    PRIMARY = "primary"
    """Hidden because the figure itself is disclosive (small count, small population)."""
    SECONDARY = "secondary"
    """Hidden only so that a primary-suppressed figure cannot be recovered by subtraction."""


@dataclass(frozen=True)
class ProtectedValue:
    """One figure after disclosure control.

    ``value`` is what may be used downstream (charts, exports): the rounded or exact figure,
    or ``None`` when suppressed. ``display`` is the string to print (``".."`` if suppressed).
    """

    value: float | int | None
    display: str
    status: CellStatus = CellStatus.SHOWN
    restricted: bool = False

    @property
    def suppressed(self) -> bool:
        return self.status is not CellStatus.SHOWN


def _as_exact(number: Real) -> Fraction:
    """Convert an int, Fraction, Decimal or float to an exact Fraction (no binary surprises)."""
    if isinstance(number, Rational):
        return Fraction(number.numerator, number.denominator)
    if isinstance(number, Decimal):
        return Fraction(number)
    return Fraction(Decimal(repr(float(number))))


def _round_half_up_to_multiple(number: Real, base: int) -> int:
    exact = _as_exact(number)
    if exact < 0:
        raise ValueError(f"counts cannot be negative: {number!r}")
    return base * math.floor(exact / base + Fraction(1, 2))


def hesa_round(count: Real) -> int:
    """Round a count by HESA standard rounding: nearest multiple of 5, halves up.

    Counts below 2.5 become 0, 2.5 becomes 5, 7.5 becomes 10. Works for whole-person counts
    and for full-time-equivalent counts (e.g. ``Decimal("2.5")``). Negative counts raise
    ``ValueError``.
    """
    return _round_half_up_to_multiple(count, HESA_ROUNDING_BASE)


def ofs_round(count: Real) -> int:
    """Round a count to the nearest 10, halves up (the OfS dashboard convention)."""
    return _round_half_up_to_multiple(count, OFS_ROUNDING_BASE)


def _format_number(value: float | int, decimals: int) -> str:
    quantum = Decimal(1).scaleb(-decimals)
    return str(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def protect_count(count: int, mode: OutputMode = OutputMode.ROUNDED) -> ProtectedValue:
    """A single count (or a total, calculated first from exact figures) ready to print."""
    if mode is OutputMode.UNROUNDED:
        return ProtectedValue(count, str(count), restricted=True)
    rounded = hesa_round(count)
    return ProtectedValue(rounded, str(rounded))


def protect_percentage(
    numerator: Real,
    denominator: Real,
    mode: OutputMode = OutputMode.ROUNDED,
    *,
    decimals: int = 0,
) -> ProtectedValue:
    """Percentage ``100 × numerator / denominator`` under HESA rules.

    The percentage is calculated from the exact figures and rounded half-up to ``decimals``
    places. In rounded mode it is suppressed (``".."``) when the denominator is below 22.5 —
    which includes an empty denominator. In unrounded mode only an empty denominator gives
    ``".."``.
    """
    if numerator < 0 or denominator < 0 or numerator > denominator:
        raise ValueError(f"not a proportion: {numerator!r}/{denominator!r}")
    restricted = mode.restricted
    if denominator == 0 or (
        not restricted and _as_exact(denominator) < HESA_MIN_PERCENTAGE_POPULATION
    ):
        return ProtectedValue(None, SUPPRESSED, CellStatus.PRIMARY, restricted)
    exact = 100 * _as_exact(numerator) / _as_exact(denominator)
    quantum = Decimal(1).scaleb(-decimals)
    shown = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        quantum, rounding=ROUND_HALF_UP
    )
    return ProtectedValue(float(shown), f"{shown}%", restricted=restricted)


def protect_average(
    values: Sequence[Real],
    mode: OutputMode = OutputMode.ROUNDED,
    *,
    decimals: int = 1,
    statistic: str = "mean",
) -> ProtectedValue:
    """Mean (or ``statistic="median"``) of ``values``; suppressed if based on 7 or fewer.

    ``None`` entries (unanswered) are ignored and do not count towards the 7. In unrounded
    mode only an empty list is suppressed.
    """
    present = [_as_exact(v) for v in values if v is not None]
    restricted = mode.restricted
    if not present or (not restricted and len(present) <= HESA_MAX_SUPPRESSED_AVERAGE_POPULATION):
        return ProtectedValue(None, SUPPRESSED, CellStatus.PRIMARY, restricted)
    if statistic == "mean":
        exact = sum(present, Fraction(0)) / len(present)
    elif statistic == "median":
        ordered = sorted(present)
        middle = len(ordered) // 2
        exact = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    else:
        raise ValueError(f"unknown statistic {statistic!r}")
    as_float = exact.numerator / exact.denominator
    return ProtectedValue(as_float, _format_number(as_float, decimals), restricted=restricted)


# ---------------------------------------------------------------------------------------
# Figures derived from published counts
# ---------------------------------------------------------------------------------------

MIN_PUBLISHED_NUMERATOR = HESA_ROUNDING_BASE
"""A rate, share, ratio, gap or test is shown only when each count it is a rate *of* is at
least this after rounding (the exact count is 3 or more); a count shown as 0 could be 1 or 2
people, and a figure built on it would say which."""
MIN_PUBLISHED_DENOMINATOR = 25
"""HESA's 22.5 on the published scale: an exact count of 23 or more rounds to 25 or more."""


def published_counts(counts: Sequence[int], mode: OutputMode) -> list[int]:
    """The counts every derived figure is computed from: HESA-rounded in rounded mode.

    Deriving rates, intervals, ratios, gaps, tests and chart geometry from the *published*
    counts, never from the exact ones, means that no derived figure tells a reader more than
    the counts already printed: two populations whose published counts agree produce the
    same page, character for character.
    """
    if mode.restricted:
        return [int(count) for count in counts]
    return [hesa_round(count) for count in counts]


def derived_figure_allowed(
    mode: OutputMode, *, numerators: Sequence[int | None], denominators: Sequence[int | None]
) -> bool:
    """Whether a figure built on these *published* counts (``None``: suppressed) may be shown.

    Restricted (unrounded) output needs only non-empty denominators. Rounded output needs
    every denominator ≥ :data:`MIN_PUBLISHED_DENOMINATOR` (HESA's percentage rule) and every
    numerator ≥ :data:`MIN_PUBLISHED_NUMERATOR` (a rate whose numerator cell is small or
    suppressed is suppressed too). The decision uses published counts only, so the fact
    that a figure is hidden reveals nothing the counts do not.
    """
    if any(v is None for v in (*numerators, *denominators)):
        return False
    if any(d <= 0 for d in denominators):
        return False
    if mode.restricted:
        return True
    return all(d >= MIN_PUBLISHED_DENOMINATOR for d in denominators) and all(
        n >= MIN_PUBLISHED_NUMERATOR for n in numerators
    )


def rounding_interval(published: int | None) -> tuple[int, float]:
    """The exact counts a printed HESA-rounded count can stand for (suppressed: any)."""
    if published is None:
        return 0, math.inf
    return max(0, published - HESA_ROUNDING_BASE // 2), published + HESA_ROUNDING_BASE // 2


Interval = tuple[float, float]


def guard_line(cells: Sequence[int | None], total: int | None | Interval) -> set[int]:
    """Cells of one printed line (groups adding up to a total) to hide as well.

    A reader who knows the rounding rule knows each exact count only to an interval, and
    that the line adds up to the total. Where the cells' intervals only just reach the
    total's — every cell at the top of its interval, or every one at the bottom — the sum
    pins them (and the total) down exactly: four cells printed 0 with a total printed 10
    must each be 2. The line is safe when the sums of its cells' intervals reach past both
    ends of the total's interval: then the line narrows no cell and not the total.
    ``total`` is the printed total, or the interval a reader can already place it in. This
    returns the cells to hide (largest
    first) until the line is safe. It looks only at printed figures, so that a cell is
    hidden reveals nothing the figures do not.
    """
    if total is None:
        return set()
    total_low, total_high = total if isinstance(total, tuple) else rounding_interval(total)
    hidden: set[int] = set()

    def sums() -> tuple[float, float]:
        intervals = [rounding_interval(None if i in hidden else c) for i, c in enumerate(cells)]
        return sum(low for low, _ in intervals), sum(high for _, high in intervals)

    low, high = sums()
    while high < total_high or low > total_low:
        shown = [i for i, c in enumerate(cells) if c is not None and i not in hidden]
        if not shown:
            break
        hidden.add(max(shown, key=lambda i: (cells[i], -i)))
        low, high = sums()
    return hidden


MIN_MICRO_INTERNSHIPS_IN_VIEW = 3
"""A view whose stages come from fewer micro-internships than this shows no figures: with
one or two days, staff who know the register would know who the counts are."""
MIN_PEOPLE_IN_VIEW = 10
"""A view with fewer interested students than this (once rounded) shows no figures."""


def too_narrow(mode: OutputMode, *, micro_internships: int, interested: int) -> str:
    """Why a (filtered) view must not show figures, or "" when it may.

    ``micro_internships`` is how many micro-internships the view's stages come from;
    ``interested`` the *published* count of interested students. Restricted output is never
    refused (administrators see exact figures, marked restricted, and the view is logged).
    """
    if mode.restricted:
        return ""
    if micro_internships < MIN_MICRO_INTERNSHIPS_IN_VIEW:
        return (
            f"These filters leave fewer than {MIN_MICRO_INTERNSHIPS_IN_VIEW} micro-internships, "
            "so anyone who knows who took part could tell who the figures are about. Widen the "
            "filters (another year, every school or every sector) to see figures."
        )
    if interested < MIN_PEOPLE_IN_VIEW:
        return (
            f"These filters leave fewer than {MIN_PEOPLE_IN_VIEW} interested students, too few "
            "to publish figures about without pointing at people. Widen the filters to see "
            "figures."
        )
    return ""


# ---------------------------------------------------------------------------------------
# Tables with margins, primary and secondary suppression
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuppressionPolicy:
    """Which cells of a count table are primary-suppressed before secondary suppression.

    HESA rounding alone already protects small counts (0–2 round to 0), so the default
    policy (:data:`HESA_POLICY`) hides nothing by itself. A stricter policy hides every
    count with ``0 < count < min_count`` (``suppress_zeros`` also hides true zeros, for
    tables where "nobody from this group" would itself disclose something). Whatever the
    primary rule, secondary suppression is then applied so no hidden cell can be recovered
    from the published totals.
    """

    min_count: int = 0
    suppress_zeros: bool = False

    def is_sensitive(self, count: int) -> bool:
        if count == 0:
            return self.suppress_zeros
        return count < self.min_count


HESA_POLICY = SuppressionPolicy()
"""HESA standard: rounding protects small counts; no cell is hidden for its own sake."""
SMALL_COUNT_POLICY = SuppressionPolicy(min_count=3)
"""Hide counts of 1 and 2 (plus secondary suppression), e.g. for narrow cross-tabulations."""


@dataclass(frozen=True)
class Table:
    """A rows × columns table of exact, non-negative whole-person counts.

    Totals are always calculated from the cells (every person is in exactly one cell), so
    they cannot disagree with them.
    """

    row_labels: tuple[str, ...]
    column_labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        if len(self.counts) != len(self.row_labels):
            raise ValueError("one row of counts is needed per row label")
        for row in self.counts:
            if len(row) != len(self.column_labels):
                raise ValueError("every row needs one count per column label")
            if any(not isinstance(c, int) or c < 0 for c in row):
                raise ValueError(f"counts must be non-negative integers: {row!r}")

    @classmethod
    def from_rows(
        cls,
        row_labels: Iterable[str],
        column_labels: Iterable[str],
        counts: Iterable[Iterable[int]],
    ) -> Table:
        return cls(
            tuple(row_labels),
            tuple(column_labels),
            tuple(tuple(int(c) for c in row) for row in counts),
        )

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.row_labels), len(self.column_labels)

    @property
    def row_totals(self) -> tuple[int, ...]:
        return tuple(sum(row) for row in self.counts)

    @property
    def column_totals(self) -> tuple[int, ...]:
        return tuple(sum(column) for column in zip(*self.counts, strict=True)) or tuple(
            0 for _ in self.column_labels
        )

    @property
    def grand_total(self) -> int:
        return sum(self.row_totals)

    def augmented(self) -> list[list[int]]:
        """The (rows + 1) × (columns + 1) matrix with row totals last and column totals below."""
        matrix = [[*row, total] for row, total in zip(self.counts, self.row_totals, strict=True)]
        matrix.append([*self.column_totals, self.grand_total])
        return matrix


Position = tuple[int, int]
"""(row, column) in the augmented matrix; index ``rows`` / ``columns`` is the total."""


def additive_lines(rows: int, columns: int) -> list[list[Position]]:
    """Every equation "cells of this line add up to its total" in an augmented table.

    Each line lists the positions that take part in the equation, the total last: one line
    per row (including the row of column totals) and one per column (including the column
    of row totals). A hidden figure is recoverable by subtraction exactly when some line
    contains it and no other hidden figure.
    """
    lines = [[(i, j) for j in range(columns + 1)] for i in range(rows + 1)]
    lines += [[(i, j) for i in range(rows + 1)] for j in range(columns + 1)]
    return lines


def recoverable_positions(rows: int, columns: int, hidden: set[Position]) -> set[Position]:
    """Hidden positions that a single row or column equation would reveal (should be empty)."""
    exposed: set[Position] = set()
    for line in additive_lines(rows, columns):
        hidden_here = [p for p in line if p in hidden]
        if len(hidden_here) == 1:
            exposed.add(hidden_here[0])
    return exposed


def secondary_suppression(matrix: Sequence[Sequence[int]], primary: set[Position]) -> set[Position]:
    """Hide complementary figures until no line has exactly one hidden figure.

    ``matrix`` is an augmented table (see :meth:`Table.augmented`); ``primary`` are the
    positions already hidden. Returns the positions hidden *in addition*.

    Rule, repeated until nothing changes: for each line (row or column, margins included)
    with exactly one hidden figure, hide one more figure of that line, chosen as

    1. an inner cell rather than the line's total (totals are the most useful figures);
    2. preferably a cell whose crossing line *also* has exactly one hidden figure, since
       hiding it protects two lines at once and keeps the total number hidden small;
    3. preferably a non-zero cell (a hidden zero protects little: the pair's sum then equals
       the sensitive value);
    4. the smallest such count, then the first in reading order (deterministic output).

    A line's total is hidden only when none of its inner figures is left to hide. The loop
    ends because each pass hides at least one more of finitely many figures.
    """
    rows = len(matrix) - 1
    columns = len(matrix[0]) - 1
    hidden = set(primary)
    lines = additive_lines(rows, columns)
    lines_through: dict[Position, list[list[Position]]] = {}
    for line in lines:
        for position in line:
            lines_through.setdefault(position, []).append(line)

    def hidden_in(line: list[Position]) -> int:
        return sum(1 for p in line if p in hidden)

    changed = True
    while changed:
        changed = False
        for line in lines:
            if hidden_in(line) != 1:
                continue
            total_position = line[-1]
            candidates = [p for p in line if p not in hidden]
            inner = [p for p in candidates if p != total_position]
            pool = inner or candidates

            def preference(position: Position, line: list[Position] = line) -> tuple:
                crossing = [other for other in lines_through[position] if other is not line]
                fixes_crossing = any(hidden_in(other) == 1 for other in crossing)
                value = matrix[position[0]][position[1]]
                return (not fixes_crossing, value == 0, value, position)

            hidden.add(min(pool, key=preference))
            changed = True
    return hidden - set(primary)


@dataclass(frozen=True)
class ProtectedTable:
    """A table ready to print: every inner cell and every total as a :class:`ProtectedValue`.

    ``cells[i][j]`` are the inner cells, ``row_totals[i]``, ``column_totals[j]`` and
    ``grand_total`` the margins. ``mode`` says whether figures are rounded or restricted.
    """

    row_labels: tuple[str, ...]
    column_labels: tuple[str, ...]
    cells: tuple[tuple[ProtectedValue, ...], ...]
    row_totals: tuple[ProtectedValue, ...]
    column_totals: tuple[ProtectedValue, ...]
    grand_total: ProtectedValue
    mode: OutputMode

    @property
    def restricted(self) -> bool:
        return self.mode.restricted

    def hidden_positions(self) -> set[Position]:
        """Hidden positions in augmented coordinates (totals at index rows / columns)."""
        rows, columns = len(self.row_labels), len(self.column_labels)
        hidden = {
            (i, j)
            for i, row in enumerate(self.cells)
            for j, cell in enumerate(row)
            if cell.suppressed
        }
        hidden |= {(i, columns) for i, cell in enumerate(self.row_totals) if cell.suppressed}
        hidden |= {(rows, j) for j, cell in enumerate(self.column_totals) if cell.suppressed}
        if self.grand_total.suppressed:
            hidden.add((rows, columns))
        return hidden

    def display_rows(self) -> list[list[str]]:
        """Header plus one list of strings per row, totals last: for CSV, XLSX and HTML."""
        header = ["", *self.column_labels, "Total"]
        body = [
            [label, *(c.display for c in row), total.display]
            for label, row, total in zip(self.row_labels, self.cells, self.row_totals, strict=True)
        ]
        footer = ["Total", *(c.display for c in self.column_totals), self.grand_total.display]
        return [header, *body, footer]


def protect_table(
    table: Table,
    mode: OutputMode = OutputMode.ROUNDED,
    policy: SuppressionPolicy = HESA_POLICY,
) -> ProtectedTable:
    """Apply disclosure control to a whole count table.

    Rounded mode: cells whose exact count the ``policy`` finds sensitive are hidden
    (primary), then :func:`secondary_suppression` hides complementary figures; every visible
    cell and total is HESA-rounded, totals being rounded from their exact value (so rows may
    not add up). Unrounded mode: exact figures, nothing hidden, marked restricted.
    """
    matrix = table.augmented()
    rows, columns = table.shape
    if mode is OutputMode.UNROUNDED:
        primary: set[Position] = set()
        secondary: set[Position] = set()
    else:
        primary = {
            (i, j) for i in range(rows) for j in range(columns) if policy.is_sensitive(matrix[i][j])
        }
        secondary = secondary_suppression(matrix, primary)

    def figure(i: int, j: int) -> ProtectedValue:
        if (i, j) in primary:
            return ProtectedValue(None, SUPPRESSED, CellStatus.PRIMARY)
        if (i, j) in secondary:
            return ProtectedValue(None, SUPPRESSED, CellStatus.SECONDARY)
        return protect_count(matrix[i][j], mode)

    return ProtectedTable(
        row_labels=table.row_labels,
        column_labels=table.column_labels,
        cells=tuple(tuple(figure(i, j) for j in range(columns)) for i in range(rows)),
        row_totals=tuple(figure(i, columns) for i in range(rows)),
        column_totals=tuple(figure(rows, j) for j in range(columns)),
        grand_total=figure(rows, columns),
        mode=mode,
    )


# ---------------------------------------------------------------------------------------
# Office for Students conventions and pooling
# ---------------------------------------------------------------------------------------


class OfsMarker(enum.Enum):
    """OfS dashboard markers for a percentage that is not shown."""

    DPL = "[DPL]"
    """Data protection, low: numerator of 2 or fewer."""
    DPH = "[DPH]"
    """Data protection, high: numerator within 2 of the denominator."""
    LOW = "[low]"
    """Denominator below 23 (3–22 in practice; smaller ones are caught by DPL/DPH)."""


@dataclass(frozen=True)
class OfsValue:
    """A percentage under OfS conventions: a value, or ``None`` with the marker shown."""

    percentage: float | None
    marker: OfsMarker | None
    display: str
    rounded_denominator: int


def ofs_percentage(numerator: int, denominator: int, *, decimals: int = 1) -> OfsValue:
    """Percentage with OfS markers. Data-protection markers take precedence over ``[low]``.

    ``[DPL]`` if numerator ≤ 2; else ``[DPH]`` if denominator − numerator ≤ 2; else ``[low]``
    if denominator < 23; else the percentage (from exact figures, rounded half-up). The
    denominator is reported rounded to the nearest 10.
    """
    if numerator < 0 or denominator < 0 or numerator > denominator:
        raise ValueError(f"not a proportion: {numerator!r}/{denominator!r}")
    marker: OfsMarker | None = None
    if numerator <= OFS_DATA_PROTECTION_MARGIN:
        marker = OfsMarker.DPL
    elif denominator - numerator <= OFS_DATA_PROTECTION_MARGIN:
        marker = OfsMarker.DPH
    elif denominator < OFS_MIN_DENOMINATOR:
        marker = OfsMarker.LOW
    if marker is not None:
        return OfsValue(None, marker, marker.value, ofs_round(denominator))
    value = protect_percentage(numerator, denominator, OutputMode.UNROUNDED, decimals=decimals)
    return OfsValue(value.value, None, value.display, ofs_round(denominator))


@dataclass(frozen=True)
class PooledCohort:
    """Consecutive cohorts pooled so that their percentage may be published."""

    labels: tuple[str, ...]
    numerator: int
    denominator: int
    publishable: bool


def pool_cohorts(
    cohorts: Sequence[tuple[str, int, int]],
    min_denominator: int = OFS_MIN_DENOMINATOR,
) -> list[PooledCohort]:
    """Pool consecutive ``(label, numerator, denominator)`` cohorts until each denominator ≥ 23.

    Cohorts are taken in the order given (e.g. by date) and added to the current pool until
    its denominator reaches ``min_denominator``. A short pool left over at the end is merged
    into the previous pool, so only when *all* cohorts together fall short is a pool
    returned with ``publishable=False``; its percentage must not be shown.
    """
    pools: list[list[tuple[str, int, int]]] = []
    current: list[tuple[str, int, int]] = []
    for cohort in cohorts:
        current.append(cohort)
        if sum(c[2] for c in current) >= min_denominator:
            pools.append(current)
            current = []
    if current:
        if pools:
            pools[-1].extend(current)
        else:
            pools.append(current)
    result = []
    for pool in pools:
        denominator = sum(c[2] for c in pool)
        result.append(
            PooledCohort(
                labels=tuple(c[0] for c in pool),
                numerator=sum(c[1] for c in pool),
                denominator=denominator,
                publishable=denominator >= min_denominator,
            )
        )
    return result
