"""The dashboard's tables: statistics on the grouped counts, then disclosure control.

Input: the few rows from :mod:`microintern.insights.queries`. Output: :class:`DisplayTable`
objects whose cells are *strings already protected* (rounded, suppressed ".."), so the
HTML page, the CSV/XLSX exports and the PDF print exactly the same figures.

Rules for derived figures in rounded mode (HESA: percentages need a population of 22.5):
a proportion, its interval, a representation ratio, a gap or a test is shown only when
every denominator it uses is at least 22.5; otherwise "..". Unrounded mode (administrators
only) shows exact counts, marked restricted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import stats
from .disclosure import (
    HESA_MIN_PERCENTAGE_POPULATION,
    SUPPRESSED,
    OutputMode,
    protect_count,
    protect_percentage,
)
from .hesa import FRAMES
from .models import EqualityMonitoring
from .queries import CHARACTERISTICS, STAGE_KEYS, STAGES, Characteristic

STAGE_LABELS = dict(STAGES)


@dataclass
class DisplayTable:
    key: str
    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""
    chart: dict | None = field(default=None, repr=False)
    """Data for an SVG chart: {"kind", "title", "bars": [(label, value|None, low, high)]}."""


def _shown(mode: OutputMode, *denominators: int) -> bool:
    return mode.restricted or all(d >= HESA_MIN_PERCENTAGE_POPULATION for d in denominators)


def _pct(value: float | None) -> str:
    return SUPPRESSED if value is None else f"{100 * value:.1f}%"


def _interval(proportion: stats.Proportion, mode: OutputMode) -> tuple[str, str]:
    if proportion.estimate is None or not _shown(mode, proportion.n):
        return SUPPRESSED, SUPPRESSED
    return _pct(proportion.estimate), f"{_pct(proportion.low)}–{_pct(proportion.high)}"


def _ratio(value: float | None, decimals: int = 2) -> str:
    return SUPPRESSED if value is None else f"{value:.{decimals}f}"


def _p(value: float | None) -> str:
    if value is None:
        return SUPPRESSED
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _group_counts(rows: list[dict], characteristic: Characteristic) -> dict[str, list[int]]:
    by_group = {row["g0"]: [row[k] for k in STAGE_KEYS] for row in rows}
    return {g: by_group[g] for g in characteristic.ordered(by_group)}


def _totals(counts: dict[str, list[int]]) -> list[int]:
    return [sum(c[i] for c in counts.values()) for i in range(len(STAGE_KEYS))]


def funnel_table(rows, characteristic, mode) -> DisplayTable:
    counts = _group_counts(rows, characteristic)
    totals = _totals(counts)
    body, bars = [], []
    for group, c in counts.items():
        reach = stats.reach(c[4], c[0])
        estimate, interval = _interval(reach, mode)
        body.append([group, *(protect_count(n, mode).display for n in c), estimate, interval])
        shown = estimate != SUPPRESSED
        bars.append(
            (
                group,
                reach.estimate if shown else None,
                reach.low if shown else None,
                reach.high if shown else None,
            )
        )
    overall = stats.reach(totals[4], totals[0])
    body.append(
        [
            "All students",
            *(protect_count(n, mode).display for n in totals),
            *_interval(overall, mode),
        ]
    )
    return DisplayTable(
        "funnel",
        f"Funnel by {characteristic.label}",
        [characteristic.label, *STAGE_LABELS.values(), "Reach", "Reach 95% CI (Wilson)"],
        body,
        "Reach = attended ÷ eligible. Totals are rounded from exact figures, so rounded rows "
        "may not add up.",
        chart={
            "kind": "proportion",
            "title": f"Reach by {characteristic.label}",
            "bars": bars,
            "axis": "Reach (% of eligible who attended)",
        },
    )


def representation_table(rows, characteristic, mode) -> DisplayTable:
    counts = _group_counts(rows, characteristic)
    totals = _totals(counts)
    header = [characteristic.label, "Share of eligible"]
    for key in STAGE_KEYS[1:]:
        header += [f"RR {STAGE_LABELS[key].lower()}", "95% CI"]
    body, bars = [], []
    for group, c in counts.items():
        share = protect_percentage(c[0], totals[0], mode, decimals=1).display
        row = [group, share]
        for k in range(1, len(STAGE_KEYS)):
            rr = stats.representation_ratio(c[k], totals[k], c[0], totals[0])
            if rr.ratio is None or not _shown(mode, totals[k], c[0]):
                row += [SUPPRESSED, SUPPRESSED]
                if k == 4:
                    bars.append((group, None, None, None))
            else:
                row += [_ratio(rr.ratio), f"{_ratio(rr.low)}–{_ratio(rr.high)}"]
                if k == 4:
                    bars.append((group, rr.ratio, rr.low, rr.high))
        body.append(row)
    return DisplayTable(
        "representation",
        f"Representation ratio by {characteristic.label}",
        header,
        body,
        "RR = the group's share of a stage ÷ its share of the eligible population; 1 = parity. "
        "Interval: Wilson interval of the stage share over the (census) population share.",
        chart={
            "kind": "ratio",
            "title": f"Representation among attendees by {characteristic.label}",
            "bars": bars,
            "axis": "Representation ratio (1 = parity)",
        },
    )


def conversion_table(rows, characteristic, mode) -> DisplayTable:
    counts = _group_counts(rows, characteristic)
    result = stats.conversions(counts, list(STAGE_KEYS))
    fisher_by_stage = {}
    for k in range(1, len(STAGE_KEYS)):
        tests = stats.fisher_group_vs_rest(
            {g: c[k] for g, c in counts.items()}, {g: c[k - 1] for g, c in counts.items()}
        )
        fisher_by_stage[STAGE_KEYS[k]] = {t.group: t for t in tests}
    body = []
    for conversion in result:
        previous = conversion.rate.n
        rest = sum(c[STAGE_KEYS.index(conversion.previous_stage)] for c in counts.values())
        shown = _shown(mode, previous, rest - previous) and conversion.rate.estimate is not None
        test = fisher_by_stage[conversion.stage].get(conversion.group)
        estimate, interval = _interval(conversion.rate, mode)
        body.append(
            [
                f"{STAGE_LABELS[conversion.previous_stage]} → {STAGE_LABELS[conversion.stage]}",
                conversion.group,
                estimate,
                interval,
                _ratio(conversion.impact_ratio) if shown else SUPPRESSED,
                ("Below 0.8" if conversion.flagged else "") if shown else SUPPRESSED,
                _ratio(test.odds_ratio) if shown and test else SUPPRESSED,
                _p(test.p_adjusted) if shown and test else SUPPRESSED,
            ]
        )
    return DisplayTable(
        "conversion",
        f"Conversion between stages by {characteristic.label}",
        [
            "Step",
            characteristic.label,
            "Rate",
            "95% CI (Wilson)",
            "Impact ratio",
            "Flag (< 0.8 of best)",
            "Odds ratio vs rest",
            "p (Fisher, Holm-adjusted)",
        ],
        body,
        "The 0.8 flag is a screening heuristic, unreliable with small numbers: read it with the "
        "interval and the Fisher test. Holm adjusts for testing every group at each step.",
    )


def gap_table(rows, characteristic, mode) -> DisplayTable:
    counts = _group_counts(rows, characteristic)
    totals = _totals(counts)
    body = []
    for group, c in counts.items():
        rest_att, rest_el = totals[4] - c[4], totals[0] - c[0]
        diff = stats.newcombe_difference(c[4], c[0], rest_att, rest_el)
        if diff.difference is None or not _shown(mode, c[0], rest_el):
            body.append([group, SUPPRESSED, SUPPRESSED])
        else:
            body.append(
                [
                    group,
                    f"{100 * diff.difference:+.2f} points",
                    f"{100 * diff.low:+.2f} to {100 * diff.high:+.2f}",
                ]
            )
    return DisplayTable(
        "gaps",
        f"Reach gap: each {characteristic.label} group vs everyone else",
        [characteristic.label, "Difference in reach", "95% CI (Newcombe)"],
        body,
        "Positive: the group is reached more often than the rest of the eligible population.",
    )


def pair_table(rows, first: Characteristic, second: Characteristic, mode) -> DisplayTable:
    body = []
    by_pair = {(r["g0"], r["g1"]): r for r in rows}
    for g0 in first.ordered({r["g0"] for r in rows}):
        for g1 in second.ordered({r["g1"] for r in rows}):
            row = by_pair.get((g0, g1))
            if row is None:
                continue
            c = [row[k] for k in STAGE_KEYS]
            estimate, interval = _interval(stats.reach(c[4], c[0]), mode)
            body.append([g0, g1, *(protect_count(n, mode).display for n in c), estimate, interval])
    return DisplayTable(
        "pair",
        f"Funnel by {first.label} and {second.label}",
        [first.label, second.label, *STAGE_LABELS.values(), "Reach", "Reach 95% CI"],
        body,
    )


def stratified_table(rows, characteristic: Characteristic, mode) -> DisplayTable:
    """Mantel–Haenszel odds ratio of attending (vs eligible), each group vs rest, by school."""
    schools = sorted({r["g1"] for r in rows})
    groups = characteristic.ordered({r["g0"] for r in rows})
    cells = {(r["g0"], r["g1"]): (r["attended"], r["eligible"]) for r in rows}
    body = []
    for group in groups:
        strata = {}
        group_n = 0
        for school in schools:
            a, n_g = cells.get((group, school), (0, 0))
            rest_a = sum(cells.get((g, school), (0, 0))[0] for g in groups if g != group)
            rest_n = sum(cells.get((g, school), (0, 0))[1] for g in groups if g != group)
            strata[school] = (a, n_g - a, rest_a, rest_n - rest_a)
            group_n += n_g
        result = stats.mantel_haenszel(strata)
        rest_total = sum(s[2] + s[3] for s in strata.values())
        if result.odds_ratio is None or not _shown(mode, group_n, rest_total):
            body.append([group, SUPPRESSED, SUPPRESSED, SUPPRESSED, SUPPRESSED])
            continue
        body.append(
            [
                group,
                _ratio(result.odds_ratio),
                f"{_ratio(result.low)}–{_ratio(result.high)}",
                _p(result.cmh_p_value),
                _p(result.homogeneity_p_value),
            ]
        )
    return DisplayTable(
        "stratified",
        f"Attending, {characteristic.label} group vs rest, stratified by school",
        [
            characteristic.label,
            "Odds ratio (Mantel–Haenszel)",
            "95% CI",
            "p (CMH)",
            "p (Breslow–Day: differs by school)",
        ],
        body,
        "Pooling within schools guards against Simpson's paradox: a gap that appears only "
        "because groups are spread unevenly across schools.",
    )


def disclosure_table(counts: dict, asked: int, mode) -> DisplayTable:
    """``asked`` is the eligible population (everyone could have answered)."""
    body = []
    for name, frame in EqualityMonitoring.FIELD_FRAMES.items():
        answered = counts.get(f"{name}__answered", 0)
        pnts = counts.get(f"{name}__prefer_not_to_say", 0)
        dont_know = counts.get(f"{name}__dont_know", 0)
        missing = asked - answered - pnts - dont_know
        body.append(
            [FRAMES[frame.field].field]
            + [
                protect_percentage(n, asked, mode, decimals=1).display
                for n in (answered, pnts, dont_know, missing)
            ]
        )
    return DisplayTable(
        "disclosure",
        "Equality monitoring: how fully each question was answered",
        ["HESA field", "Answered", "Prefer not to say", "Don't know", "Missing"],
        body,
        f"Percentages of the eligible population ({protect_count(asked, mode).display}). "
        "Missing = no questionnaire or the question left out.",
    )


def dashboard_tables(data: dict, mode: OutputMode) -> list[DisplayTable]:
    characteristic = CHARACTERISTICS[data["characteristic"]]
    tables = [
        funnel_table(data["funnel"], characteristic, mode),
        representation_table(data["funnel"], characteristic, mode),
        conversion_table(data["funnel"], characteristic, mode),
        gap_table(data["funnel"], characteristic, mode),
        stratified_table(data["by_school"], characteristic, mode),
    ]
    if data.get("pair") is not None:
        tables.append(
            pair_table(data["pair"], characteristic, CHARACTERISTICS[data["second"]], mode)
        )
    asked = sum(row["eligible"] for row in data["funnel"])
    tables.append(disclosure_table(data["disclosure"], asked, mode))
    return tables
