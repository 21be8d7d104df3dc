"""The dashboard's tables: disclosure control on the counts, then statistics on what is shown.

Input: the few rows from :mod:`microintern.insights.queries`. Output: :class:`DisplayTable`
objects whose cells are *strings already protected* (rounded, suppressed ".."), so the
HTML page, the CSV/XLSX exports and the PDF print exactly the same figures.

Rounded mode (everyone but administrators who ask for unrounded figures):

* counts are HESA-rounded (:func:`disclosure.published_counts`);
* every derived figure — proportion, interval, share, representation ratio, conversion,
  impact ratio, gap, odds ratio, p-value, chart bar — is computed from those *published*
  counts, never from the exact ones, so it tells a reader nothing the counts do not;
* a derived figure is shown only when each count it divides by is at least 25 and each
  count it is a rate of is at least 5 once rounded
  (:func:`disclosure.derived_figure_allowed`); otherwise "..";
* the best group for impact ratios is chosen among the groups whose rate is shown, and the
  Fisher and Mantel–Haenszel p-values are Holm-adjusted across every test the table shows.

Unrounded mode (administrators only) computes from exact counts, marked restricted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import stats
from .disclosure import (
    SUPPRESSED,
    OutputMode,
    derived_figure_allowed,
    guard_line,
    published_counts,
    rounding_interval,
)
from .hesa import FRAMES
from .inference import CountFacts, guard_counts
from .models import EqualityMonitoring
from .queries import CHARACTERISTICS, STAGE_KEYS, STAGES, Characteristic

STAGE_LABELS = dict(STAGES)
ELIGIBLE, ATTENDED = STAGE_KEYS.index("eligible"), STAGE_KEYS.index("attended")
PROPORTION_DECIMALS = 3
"""Chart values for proportions keep what the table prints (a tenth of a percent)."""
RATIO_DECIMALS = 2


@dataclass
class DisplayTable:
    key: str
    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""
    chart: dict | None = field(default=None, repr=False)
    """Data for an SVG chart: {"kind", "title", "bars": [(label, value|None, low, high)]}.
    Values carry no more precision than the table prints."""


def _pct(value: float | None) -> str:
    return SUPPRESSED if value is None else f"{100 * value:.1f}%"


def _interval(proportion: stats.Proportion, allowed: bool) -> tuple[str, str]:
    if proportion.estimate is None or not allowed:
        return SUPPRESSED, SUPPRESSED
    return _pct(proportion.estimate), f"{_pct(proportion.low)}–{_pct(proportion.high)}"


def _ratio(value: float | None, decimals: int = RATIO_DECIMALS) -> str:
    return SUPPRESSED if value is None else f"{value:.{decimals}f}"


def _p(value: float | None) -> str:
    if value is None:
        return SUPPRESSED
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _bar(label: str, value, low, high, decimals: int) -> tuple:
    """A chart bar rounded to what the table prints, or a gap when the figure is hidden."""
    if value is None:
        return (label, None, None, None)
    return (label, round(value, decimals), round(low, decimals), round(high, decimals))


Counts = list[int | None]
"""Published counts of one group at each stage; ``None`` where hidden (printed "..")."""


def _n(count: int | None) -> int:
    """A hidden count's stand-in where a statistic is computed but never shown."""
    return count or 0


def _show(count: int | None) -> str:
    return SUPPRESSED if count is None else str(count)


def _exact_by_group(rows: list[dict], position: str = "g0") -> dict[str, list[int]]:
    by_group: dict[str, list[int]] = {}
    for row in rows:
        target = by_group.setdefault(row[position], [0] * len(STAGE_KEYS))
        for k, stage in enumerate(STAGE_KEYS):
            target[k] += row[stage]
    return by_group


def _exact_totals(rows: list[dict]) -> list[int]:
    return [sum(row[k] for row in rows) for k in STAGE_KEYS]


def one_way(rows: list[dict], characteristic: Characteristic, mode, position: str = "g0"):
    """The printed counts of a one-characteristic funnel: every group, HESA-rounded, guarded
    by :func:`inference.guard_counts` against the printed totals (rounded from their exact
    value), every stage's sum and the stages' narrowing; and the printed totals.
    ``position`` names the row key holding the group."""
    counts, totals, _ = _one_way_known(rows, characteristic, mode, position)
    return counts, totals


def _one_way_known(rows: list[dict], characteristic: Characteristic, mode, position: str):
    """:func:`one_way` with the exact interval a reader knows each printed count to, by
    (group, stage index) and ("total", stage index)."""
    exact = _exact_by_group(rows, position)
    empty = [0] * len(STAGE_KEYS)
    groups = characteristic.every_group(exact)
    counts: dict[str, Counts] = {
        g: list(published_counts(exact.get(g, empty), mode)) for g in groups
    }
    totals = published_counts(_exact_totals(rows), mode)
    if mode.restricted:
        return counts, totals, {}
    facts = _funnel_facts(groups)
    printed = {(g, k): counts[g][k] for g in groups for k in _STAGES}
    guarded, known = guard_counts(printed, _total_intervals(totals), facts, known=True)
    for (g, k), value in guarded.items():
        counts[g][k] = value
    return counts, totals, known


_STAGES = range(len(STAGE_KEYS))


def _total_intervals(totals: Counts) -> dict:
    return {("total", k): rounding_interval(totals[k]) for k in _STAGES}


def _funnel_facts(groups, facts: CountFacts | None = None, name=lambda g: g) -> CountFacts:
    """A one-characteristic funnel: the groups add up to the total at every stage, and a
    later stage never holds more people than the stage before (totals included)."""
    facts = facts or CountFacts()
    for k in _STAGES:
        facts.add_sum([(name(g), k) for g in groups], ("total", k))
        if k:
            facts.add_order(("total", k), ("total", k - 1))
    _add_narrowing(facts, [name(g) for g in groups])
    return facts


def _add_narrowing(facts: CountFacts, groups) -> None:
    for g in groups:
        for k in range(1, len(STAGE_KEYS)):
            facts.add_order((g, k), (g, k - 1))


def two_way(rows: list[dict], first: Characteristic, second: Characteristic, mode):
    """The printed counts of a two-characteristic funnel: every pair of groups, guarded by
    :func:`inference.guard_counts` so that, with both one-characteristic views (its margins,
    hidden counts included) and the stages' narrowing, no count is pinned and no margin is
    known better than from its own view. Always computed in the same orientation (by
    characteristic key), so the table reads the same whichever characteristic is chosen
    first."""
    if second.key < first.key:
        swapped = [{**r, "g0": r["g1"], "g1": r["g0"]} for r in rows]
        flipped = two_way(swapped, second, first, mode)
        return {(g0, g1): counts for (g1, g0), counts in flipped.items()}
    row_margins, totals, row_known = _one_way_known(rows, first, mode, "g0")
    column_margins, _, column_known = _one_way_known(rows, second, mode, "g1")
    exact = {(r["g0"], r["g1"]): [r[k] for k in STAGE_KEYS] for r in rows}
    empty = [0] * len(STAGE_KEYS)
    g0s, g1s = list(row_margins), list(column_margins)
    pairs = [(g0, g1) for g0 in g0s for g1 in g1s]
    counts = {pair: list(published_counts(exact.get(pair, empty), mode)) for pair in pairs}
    if mode.restricted:
        return counts
    facts = _funnel_facts(g0s, name=lambda g: ("row", g))
    facts = _funnel_facts(g1s, facts, name=lambda g: ("column", g))
    for k in _STAGES:
        for g0 in g0s:
            facts.add_sum([((g0, g1), k) for g1 in g1s], (("row", g0), k))
        for g1 in g1s:
            facts.add_sum([((g0, g1), k) for g0 in g0s], (("column", g1), k))
    _add_narrowing(facts, pairs)
    fixed = _total_intervals(totals)
    reference = dict(fixed)
    for side, margins, known in (
        ("row", row_margins, row_known),
        ("column", column_margins, column_known),
    ):
        for g, printed_counts in margins.items():
            for k in _STAGES:
                fixed[((side, g), k)] = rounding_interval(printed_counts[k])
                reference[((side, g), k)] = known[(g, k)]
    printed = {(pair, k): counts[pair][k] for pair in pairs for k in _STAGES}
    guarded, _ = guard_counts(printed, fixed, facts, reference)
    for (pair, k), value in guarded.items():
        counts[pair][k] = value
    return counts


def _reach_cells(c: Counts, mode) -> tuple[tuple[str, str], stats.Proportion, bool]:
    reach = stats.reach(_n(c[ATTENDED]), _n(c[ELIGIBLE])) if c[ELIGIBLE] else None
    allowed = reach is not None and derived_figure_allowed(
        mode, numerators=[c[ATTENDED]], denominators=[c[ELIGIBLE]]
    )
    if not allowed:
        return (SUPPRESSED, SUPPRESSED), reach, False
    return _interval(reach, True), reach, True


def funnel_table(rows, characteristic, mode, printed=None) -> DisplayTable:
    counts, totals = printed or one_way(rows, characteristic, mode)
    body, bars = [], []
    for group, c in counts.items():
        (estimate, interval), reach, allowed = _reach_cells(c, mode)
        body.append([group, *map(_show, c), estimate, interval])
        bars.append(
            _bar(group, reach.estimate, reach.low, reach.high, PROPORTION_DECIMALS)
            if allowed
            else (group, None, None, None)
        )
    (overall_estimate, overall_interval), _, _ = _reach_cells(totals, mode)
    body.append(["All students", *map(_show, totals), overall_estimate, overall_interval])
    return DisplayTable(
        "funnel",
        f"Funnel by {characteristic.label}",
        [characteristic.label, *STAGE_LABELS.values(), "Reach", "Reach 95% CI (Wilson)"],
        body,
        "Reach = attended ÷ eligible, computed from the rounded counts shown. “Gave "
        "feedback” counts only students whose research consent is in force. Totals are "
        "rounded from exact figures, so rounded rows may not add up; “..” marks a count "
        "hidden so that the others cannot be worked back to exact figures.",
        chart={
            "kind": "proportion",
            "title": f"Reach by {characteristic.label}",
            "bars": bars,
            "axis": "Reach (% of eligible who attended)",
        },
    )


def _share(numerator: int | None, denominator: int | None, mode) -> str:
    if not derived_figure_allowed(mode, numerators=[numerator], denominators=[denominator]):
        return SUPPRESSED
    return f"{100 * numerator / denominator:.1f}%"


def representation_table(rows, characteristic, mode, printed=None) -> DisplayTable:
    counts, totals = printed or one_way(rows, characteristic, mode)
    header = [characteristic.label, "Share of eligible"]
    for key in STAGE_KEYS[1:]:
        header += [f"RR {STAGE_LABELS[key].lower()}", "95% CI"]
    body, bars = [], []
    for group, c in counts.items():
        row = [group, _share(c[ELIGIBLE], totals[ELIGIBLE], mode)]
        for k in range(1, len(STAGE_KEYS)):
            allowed = derived_figure_allowed(
                mode, numerators=[c[k]], denominators=[totals[k], c[ELIGIBLE], totals[ELIGIBLE]]
            )
            rr = (
                stats.representation_ratio(c[k], totals[k], c[ELIGIBLE], totals[ELIGIBLE])
                if allowed
                else None
            )
            if rr is None or rr.ratio is None:
                row += [SUPPRESSED, SUPPRESSED]
                if k == ATTENDED:
                    bars.append((group, None, None, None))
            else:
                row += [_ratio(rr.ratio), f"{_ratio(rr.low)}–{_ratio(rr.high)}"]
                if k == ATTENDED:
                    bars.append(_bar(group, rr.ratio, rr.low, rr.high, RATIO_DECIMALS))
        body.append(row)
    return DisplayTable(
        "representation",
        f"Representation ratio by {characteristic.label}",
        header,
        body,
        "RR = the group's share of a stage ÷ its share of the eligible population; 1 = parity. "
        "Interval: Wilson interval of the stage share over the (census) population share. "
        "Computed from the rounded counts.",
        chart={
            "kind": "ratio",
            "title": f"Representation among attendees by {characteristic.label}",
            "bars": bars,
            "axis": "Representation ratio (1 = parity)",
        },
    )


def _holm_by_key(p_values: dict) -> dict:
    """Holm-adjusted p-values for one family of tests, keyed as given."""
    keys = list(p_values)
    if not keys:
        return {}
    adjusted, _ = stats.holm([p_values[k] for k in keys])
    return dict(zip(keys, adjusted, strict=True))


def _rest(total: int | None, own: int | None) -> int | None:
    """Everyone else's printed count: the printed total less the group's own."""
    if total is None or own is None:
        return None
    return max(0, total - own)


def conversion_table(rows, characteristic, mode, printed=None) -> DisplayTable:
    counts, totals = printed or one_way(rows, characteristic, mode)
    steps = []
    raw_p: dict[tuple[str, str], float] = {}
    for k in range(1, len(STAGE_KEYS)):
        stage, previous = STAGE_KEYS[k], STAGE_KEYS[k - 1]
        rates, shown, tests = {}, {}, {}
        for g, c in counts.items():
            shown[g] = derived_figure_allowed(mode, numerators=[c[k]], denominators=[c[k - 1]])
            rates[g] = stats.wilson_interval(c[k], c[k - 1]) if shown[g] else None
            rest_k, rest_previous = _rest(totals[k], c[k]), _rest(totals[k - 1], c[k - 1])
            if shown[g] and derived_figure_allowed(
                mode, numerators=[rest_k], denominators=[rest_previous]
            ):
                rest_k = min(rest_k, rest_previous)
                (test,) = (
                    t
                    for t in stats.fisher_group_vs_rest(
                        {g: c[k], "rest": rest_k}, {g: c[k - 1], "rest": rest_previous}
                    )
                    if t.group == g
                )
                tests[g] = test
                raw_p[(stage, g)] = test.p_value
        best = max((r.estimate for r in rates.values() if r), default=None)
        best_low = max((r.low for r in rates.values() if r), default=None)
        steps.append((stage, previous, rates, tests, best, best_low))
    adjusted = _holm_by_key(raw_p)
    body = []
    for stage, previous, rates, tests, best, best_low in steps:
        for group in counts:
            rate = rates[group]
            estimate, interval = _interval(rate, True) if rate else (SUPPRESSED, SUPPRESSED)
            ratio = rate.estimate / best if rate and best else None
            if ratio is None:
                flag = SUPPRESSED
            elif ratio >= stats.IMPACT_RATIO_THRESHOLD:
                flag = ""
            elif rate.high < stats.IMPACT_RATIO_THRESHOLD * best_low:
                flag = "Below 0.8, clearly"
            else:
                flag = "Below 0.8, within uncertainty"
            test = tests.get(group)
            body.append(
                [
                    f"{STAGE_LABELS[previous]} → {STAGE_LABELS[stage]}",
                    group,
                    estimate,
                    interval,
                    _ratio(ratio),
                    flag,
                    _ratio(test.odds_ratio) if test else SUPPRESSED,
                    _p(adjusted.get((stage, group))) if test else SUPPRESSED,
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
        "The best group is the highest rate shown at each step. The 0.8 flag is a screening "
        "heuristic: “clearly” when the group's whole interval lies below 0.8 × the lower end "
        "of the best group's interval, otherwise “within uncertainty”. Holm adjusts across "
        f"every test in this table ({len(raw_p)}). Computed from the rounded counts; the rest "
        "of the students are the rounded total less the group.",
    )


def gap_table(rows, characteristic, mode, printed=None) -> DisplayTable:
    counts, totals = printed or one_way(rows, characteristic, mode)
    body = []
    for group, c in counts.items():
        rest_attended = _rest(totals[ATTENDED], c[ATTENDED])
        rest_eligible = _rest(totals[ELIGIBLE], c[ELIGIBLE])
        allowed = derived_figure_allowed(
            mode,
            numerators=[c[ATTENDED], rest_attended],
            denominators=[c[ELIGIBLE], rest_eligible],
        )
        diff = (
            stats.newcombe_difference(
                c[ATTENDED], c[ELIGIBLE], min(rest_attended, rest_eligible), rest_eligible
            )
            if allowed
            else None
        )
        if diff is None or diff.difference is None:
            body.append([group, SUPPRESSED, SUPPRESSED])
        else:
            body.append(
                [
                    group,
                    f"{100 * diff.difference:+.1f} points",
                    f"{100 * diff.low:+.1f} to {100 * diff.high:+.1f}",
                ]
            )
    return DisplayTable(
        "gaps",
        f"Reach gap: each {characteristic.label} group vs everyone else",
        [characteristic.label, "Difference in reach", "95% CI (Newcombe)"],
        body,
        "Positive: the group is reached more often than the rest of the eligible population. "
        "Computed from the rounded counts.",
    )


def pair_table(rows, first: Characteristic, second: Characteristic, mode) -> DisplayTable:
    body = []
    for (g0, g1), c in two_way(rows, first, second, mode).items():
        (estimate, interval), _, _ = _reach_cells(c, mode)
        body.append([g0, g1, *map(_show, c), estimate, interval])
    return DisplayTable(
        "pair",
        f"Funnel by {first.label} and {second.label}",
        [first.label, second.label, *STAGE_LABELS.values(), "Reach", "Reach 95% CI"],
        body,
        "Every pair of groups is listed, empty ones too. “..” marks a count hidden so that "
        "this table and the one-characteristic tables cannot be worked back to exact figures.",
    )


SCHOOL = CHARACTERISTICS["school"]


def school_slice(rows_by_school: list[dict], characteristic: Characteristic, school: str, mode):
    """The printed counts of one school's funnel by a characteristic: that school's column
    of the (guarded) funnel by the characteristic and school, and the school's row of the
    funnel by school as its totals. A school filter so prints exactly what the unfiltered
    page prints for that school, hidden cells included, and cannot undo its protection."""
    cells = two_way(rows_by_school, characteristic, SCHOOL, mode)
    schools, _ = one_way(rows_by_school, SCHOOL, mode, "g1")
    empty: Counts = [0] * len(STAGE_KEYS)
    groups = list(dict.fromkeys(g for g, _ in cells))
    return {g: cells.get((g, school), empty) for g in groups}, schools.get(school, empty)


def stratified_table(rows, characteristic: Characteristic, mode) -> DisplayTable:
    """Mantel–Haenszel odds ratio of attending (vs eligible), each group vs rest, by school,
    on the printed counts of the funnel by the characteristic and school."""
    cells = two_way(rows, characteristic, SCHOOL, mode)
    schools, _ = one_way(rows, SCHOOL, mode, "g1")
    groups = list(dict.fromkeys(g for g, _ in cells))
    results = {}
    for group in groups:
        strata = {}
        complete = True
        for school, margin in schools.items():
            c = cells[(group, school)]
            a, n_g = c[ATTENDED], c[ELIGIBLE]
            rest_a, rest_n = _rest(margin[ATTENDED], a), _rest(margin[ELIGIBLE], n_g)
            if None in (a, n_g, rest_a, rest_n):
                complete = False
                break
            rest_a = min(rest_a, rest_n)
            strata[school] = (min(a, n_g), n_g - min(a, n_g), rest_a, rest_n - rest_a)
        if not complete:
            results[group] = None
            continue
        group_a = sum(s[0] for s in strata.values())
        group_n = sum(s[0] + s[1] for s in strata.values())
        rest_a = sum(s[2] for s in strata.values())
        rest_total = sum(s[2] + s[3] for s in strata.values())
        allowed = derived_figure_allowed(
            mode, numerators=[group_a, rest_a], denominators=[group_n, rest_total]
        )
        result = stats.mantel_haenszel(strata) if allowed else None
        results[group] = result if result is not None and result.odds_ratio is not None else None
    shown = {g: r for g, r in results.items() if r is not None}
    cmh = _holm_by_key({g: r.cmh_p_value for g, r in shown.items() if r.cmh_p_value is not None})
    homogeneity = _holm_by_key(
        {g: r.homogeneity_p_value for g, r in shown.items() if r.homogeneity_p_value is not None}
    )
    body = []
    for group in groups:
        result = results[group]
        if result is None:
            body.append([group, SUPPRESSED, SUPPRESSED, SUPPRESSED, SUPPRESSED])
            continue
        body.append(
            [
                group,
                _ratio(result.odds_ratio),
                f"{_ratio(result.low)}–{_ratio(result.high)}",
                _p(cmh.get(group)),
                _p(homogeneity.get(group)),
            ]
        )
    return DisplayTable(
        "stratified",
        f"Attending, {characteristic.label} group vs rest, stratified by school",
        [
            characteristic.label,
            "Odds ratio (Mantel–Haenszel)",
            "95% CI",
            "p (CMH, Holm-adjusted)",
            "p (Breslow–Day: differs by school; Holm-adjusted)",
        ],
        body,
        "Pooling within schools guards against Simpson's paradox: a gap that appears only "
        "because groups are spread unevenly across schools. Computed from the rounded counts "
        "of each school; each column's p-values are Holm-adjusted across the groups shown.",
    )


def disclosure_table(counts: dict, asked: int, mode) -> DisplayTable:
    """``asked`` is the eligible population (everyone could have answered)."""
    (published_asked,) = published_counts([asked], mode)
    body = []
    for name, frame in EqualityMonitoring.FIELD_FRAMES.items():
        answered = counts.get(f"{name}__answered", 0)
        pnts = counts.get(f"{name}__prefer_not_to_say", 0)
        dont_know = counts.get(f"{name}__dont_know", 0)
        missing = asked - answered - pnts - dont_know
        shown: Counts = list(published_counts([answered, pnts, dont_know, missing], mode))
        if not mode.restricted:
            for index in guard_line(shown, published_asked):
                shown[index] = None
        body.append([FRAMES[frame.field].field] + [_share(n, published_asked, mode) for n in shown])
    return DisplayTable(
        "disclosure",
        "Equality monitoring: how fully each question was answered",
        ["HESA field", "Answered", "Prefer not to say", "Don't know", "Missing"],
        body,
        f"Percentages of the eligible population ({published_asked}), from rounded counts. "
        "Missing = no questionnaire or the question left out.",
    )


def dashboard_tables(data: dict, mode: OutputMode) -> list[DisplayTable]:
    """Every table of one dashboard view.

    With a school filter in rounded mode, ``data["school_rows"]`` holds the unfiltered
    funnel by characteristic and school, and the one-characteristic tables print that
    school's slice of it (:func:`school_slice`); the stratified-by-school table and a second
    characteristic are not offered within one school."""
    characteristic = CHARACTERISTICS[data["characteristic"]]
    school = data.get("school", "")
    printed = None
    if school and not mode.restricted:
        printed = school_slice(data["school_rows"], characteristic, school, mode)
    tables = [
        funnel_table(data["funnel"], characteristic, mode, printed),
        representation_table(data["funnel"], characteristic, mode, printed),
        conversion_table(data["funnel"], characteristic, mode, printed),
        gap_table(data["funnel"], characteristic, mode, printed),
    ]
    if printed is None:
        tables.append(stratified_table(data["by_school"], characteristic, mode))
        if data.get("pair") is not None:
            tables.append(
                pair_table(data["pair"], characteristic, CHARACTERISTICS[data["second"]], mode)
            )
    asked = sum(row["eligible"] for row in data["funnel"])
    tables.append(disclosure_table(data["disclosure"], asked, mode))
    return tables
