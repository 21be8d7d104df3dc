"""Statistics for the inclusivity and impact dashboards (pure Python, no Django).

Every calculation delegates to SciPy or statsmodels; this module chooses the method, handles
the edge cases a small programme meets (empty groups, zero cells, ties) and returns small
frozen dataclasses with named fields. Disclosure control is *not* applied here: pass the
counts and proportions through :mod:`microintern.insights.disclosure` before showing them.

NumPy, SciPy and statsmodels are imported inside the functions that compute with them:
together they take about a second to load, and most processes (a web worker starting, a
management command) never compute a statistic.

Notation: g = group, k = funnel stage, N = eligible population,
N_g = eligible members of group g, n_k = people at stage k, n_gk = those of group g.

All intervals are two-sided 95% by default (``confidence=0.95``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

IMPACT_RATIO_THRESHOLD = 0.8
"""The "four-fifths" screening threshold: a conversion rate below 0.8 × the best group's."""

EXACT_WILCOXON_MAX_N = 50
"""SciPy's exact signed-rank null distribution is used up to this many non-zero pairs."""
ENUMERATED_PERMUTATION_MAX_N = 16
"""With ties, all 2^n sign flips are enumerated up to this n (65,536 arrangements)."""
MONTE_CARLO_RESAMPLES = 9_999
TIED_NORMAL_APPROXIMATION_MIN_N = 1_000
"""With ties, more non-zero pairs than this use the tie-corrected normal approximation: there
it agrees with the permutation distribution to well within the Monte Carlo error, while 9,999
resamples of tens of thousands of pairs take minutes and gigabytes (the impact page at 100,000
students)."""
MONTE_CARLO_SEED = 20240607
DIFFERENCE_DECIMALS = 9
"""Paired differences are rounded to this many decimals before ranking."""
"""Fixed seed so a Monte Carlo p-value is reproducible from the same data."""


def _alpha(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    return 1 - confidence


def _check_count(successes: int, n: int) -> None:
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 ≤ successes ≤ n, got {successes}/{n}")


# ---------------------------------------------------------------------------------------
# Proportions
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proportion:
    """``successes / n`` with its Wilson score interval; all ``None`` when ``n == 0``."""

    successes: int
    n: int
    estimate: float | None
    low: float | None
    high: float | None
    confidence: float = 0.95
    method: str = "wilson"


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Proportion:
    """Proportion with the Wilson score interval (statsmodels ``proportion_confint``).

    Wilson keeps sensible coverage at small n and at 0 % or 100 %, unlike the Wald interval:
    3/10 gives 10.8 %–60.3 %, 0/10 gives 0 %–27.8 %. An empty group (n = 0) has no estimate.
    """
    from statsmodels.stats.proportion import proportion_confint  # noqa: PLC0415 - heavy (statsmodels), loaded only when an interval is computed

    _check_count(successes, n)
    if n == 0:
        return Proportion(successes, n, None, None, None, confidence)
    low, high = proportion_confint(successes, n, alpha=_alpha(confidence), method="wilson")
    return Proportion(
        successes, n, successes / n, max(0.0, float(low)), min(1.0, float(high)), confidence
    )


def reach(attended_g: int, eligible_g: int, confidence: float = 0.95) -> Proportion:
    """Reach r_g = attended_g / N_g: the share of a group's eligible students who took part."""
    return wilson_interval(attended_g, eligible_g, confidence)


@dataclass(frozen=True)
class Difference:
    """p1 − p2 with the Newcombe hybrid score interval; ``None`` fields if a group is empty."""

    p1: Proportion
    p2: Proportion
    difference: float | None
    low: float | None
    high: float | None
    confidence: float = 0.95
    method: str = "newcombe"


def newcombe_difference(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> Difference:
    """Difference of two independent proportions, x1/n1 − x2/n2, with Newcombe's interval.

    Newcombe's hybrid score method (1998, method 10) combines the two Wilson intervals; it
    is what statsmodels ``confint_proportions_2indep(method="newcomb")`` computes.
    """
    from statsmodels.stats.proportion import confint_proportions_2indep  # noqa: PLC0415 - heavy (statsmodels), loaded only when an interval is computed

    p1 = wilson_interval(x1, n1, confidence)
    p2 = wilson_interval(x2, n2, confidence)
    if n1 == 0 or n2 == 0:
        return Difference(p1, p2, None, None, None, confidence)
    low, high = confint_proportions_2indep(
        x1, n1, x2, n2, method="newcomb", compare="diff", alpha=_alpha(confidence)
    )
    return Difference(p1, p2, x1 / n1 - x2 / n2, float(low), float(high), confidence)


@dataclass(frozen=True)
class RepresentationRatio:
    """RR = (n_gk / n_k) ÷ (N_g / N); 1 means the group is represented at parity."""

    ratio: float | None
    low: float | None
    high: float | None
    stage_share: Proportion
    population_share: float | None
    confidence: float = 0.95
    method: str = "wilson stage share / fixed population share"


def representation_ratio(
    n_gk: int, n_k: int, N_g: int, N: int, confidence: float = 0.95
) -> RepresentationRatio:
    """Representation ratio of group g at stage k, with an interval.

    Method: the eligible population is the whole student-record extract (a census, not a
    sample), so its share N_g / N is treated as a fixed, known constant. The uncertainty is
    in the stage share n_gk / n_k, seen as a binomial proportion; its Wilson interval is
    divided by the population share. This ignores that stage members are drawn from the same
    finite population (no finite-population correction), which makes the interval slightly
    conservative when a stage includes a large part of the population. When the group is
    absent from the population (N_g = 0) or the stage is empty, the ratio is undefined.
    """
    _check_count(n_gk, n_k)
    _check_count(N_g, N)
    stage_share = wilson_interval(n_gk, n_k, confidence)
    if N == 0 or N_g == 0 or n_k == 0:
        population_share = N_g / N if N else None
        return RepresentationRatio(None, None, None, stage_share, population_share, confidence)
    population_share = N_g / N
    return RepresentationRatio(
        ratio=stage_share.estimate / population_share,
        low=stage_share.low / population_share,
        high=stage_share.high / population_share,
        stage_share=stage_share,
        population_share=population_share,
        confidence=confidence,
    )


# ---------------------------------------------------------------------------------------
# Funnel conversion, impact ratio, group-vs-rest tests
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conversion:
    """Conversion c_gk = n_gk / n_g,k-1 of one group from one stage to the next.

    ``impact_ratio`` = c_gk / c_best,k, where the best group is the one with the highest
    conversion at that stage. ``flagged`` is True when the impact ratio is below 0.8 — a
    *screening heuristic only*: with the small numbers of a micro-internship programme a
    flag can appear or vanish by chance, so read it with the interval and the Fisher test.
    """

    group: str
    stage: str
    previous_stage: str
    rate: Proportion
    impact_ratio: float | None
    best_group: str | None
    flagged: bool


def conversions(
    funnel: Mapping[str, Sequence[int]],
    stages: Sequence[str],
    confidence: float = 0.95,
    threshold: float = IMPACT_RATIO_THRESHOLD,
) -> list[Conversion]:
    """Conversion rates per group and stage from funnel counts.

    ``funnel[group]`` lists that group's counts at each of ``stages`` in order (eligible,
    interested, offered, …); each count must not exceed the previous one. Groups with nobody
    at the previous stage have no rate and take no part in choosing the best group; ties for
    best go to the first group name in sort order. If the best rate is 0, no impact ratio
    is defined.
    """
    for group, counts in funnel.items():
        if len(counts) != len(stages):
            raise ValueError(f"{group}: one count per stage is needed")
    result: list[Conversion] = []
    for k in range(1, len(stages)):
        rates = {
            group: wilson_interval(counts[k], counts[k - 1], confidence)
            for group, counts in funnel.items()
        }
        defined = {g: r.estimate for g, r in rates.items() if r.estimate is not None}
        best_group = min(defined, key=lambda g: (-defined[g], g)) if defined else None
        best_rate = defined[best_group] if best_group is not None else None
        for group, rate in rates.items():
            ratio = None
            if rate.estimate is not None and best_rate:
                ratio = rate.estimate / best_rate
            result.append(
                Conversion(
                    group=group,
                    stage=stages[k],
                    previous_stage=stages[k - 1],
                    rate=rate,
                    impact_ratio=ratio,
                    best_group=best_group,
                    flagged=ratio is not None and ratio < threshold,
                )
            )
    return result


@dataclass(frozen=True)
class FisherResult:
    """Fisher's exact test of one group against everyone else.

    ``table`` is ``((x_g, n_g − x_g), (x_rest, n_rest − x_rest))``; ``odds_ratio`` is the
    sample odds ratio (x_g·(n_rest − x_rest)) / ((n_g − x_g)·x_rest), possibly 0 or inf.
    ``p_adjusted`` is Holm-adjusted over all groups tested together.
    """

    group: str
    table: tuple[tuple[int, int], tuple[int, int]]
    odds_ratio: float
    p_value: float
    p_adjusted: float
    reject: bool


def holm(p_values: Sequence[float], alpha: float = 0.05) -> tuple[list[float], list[bool]]:
    """Holm step-down adjustment: (adjusted p, reject), as statsmodels ``multipletests``.

    Sorted ascending, the i-th smallest p (0-based) is multiplied by (m − i), capped at 1,
    and made non-decreasing; a hypothesis is rejected when its adjusted p ≤ ``alpha``.
    Computed directly because ``multipletests(method="holm")`` calls ``gc.collect()`` on
    every call (about 0.2 s in a large process), and the dashboard calls it per stage.
    Checked against statsmodels in the tests.
    """
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * float(p_values[index])))
        adjusted[index] = running
    return adjusted, [p <= alpha for p in adjusted]


def fisher_group_vs_rest(
    successes: Mapping[str, int], totals: Mapping[str, int], alpha: float = 0.05
) -> list[FisherResult]:
    """For each group, Fisher's exact test (two-sided) of its rate against all other groups.

    Typical use: did group g convert from "interested" to "offered" at a different rate
    from everyone else? Groups with nobody (n_g = 0) or that are everyone are skipped.
    The p-values are Holm-adjusted together, controlling the family-wise error rate.
    """
    from scipy import stats as scipy_stats  # noqa: PLC0415 - heavy (SciPy), loaded only when a test is computed

    grand_x = sum(successes.values())
    grand_n = sum(totals.values())
    tables: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {}
    raw: dict[str, tuple[float, float]] = {}
    for group, n_g in totals.items():
        x_g = successes.get(group, 0)
        _check_count(x_g, n_g)
        n_rest, x_rest = grand_n - n_g, grand_x - x_g
        if n_g == 0 or n_rest == 0:
            continue
        table = ((x_g, n_g - x_g), (x_rest, n_rest - x_rest))
        odds_ratio, p_value = scipy_stats.fisher_exact(table, alternative="two-sided")
        tables[group] = table
        raw[group] = (float(odds_ratio), float(p_value))
    adjusted, reject = holm([p for _, p in raw.values()], alpha)
    return [
        FisherResult(group, tables[group], raw[group][0], raw[group][1], p_adj, rej)
        for group, p_adj, rej in zip(raw, adjusted, reject, strict=True)
    ]


@dataclass(frozen=True)
class CompositionTest:
    """Exact binomial test of a stage's group share against a census/population share."""

    successes: int
    n: int
    observed_share: float
    expected_share: float
    p_value: float
    low: float
    high: float
    confidence: float = 0.95
    method: str = "exact binomial (Clopper-Pearson interval)"


def composition_vs_census(
    n_gk: int, n_k: int, census_share: float, confidence: float = 0.95
) -> CompositionTest:
    """Is group g's share of stage k different from its share of a reference population?

    Two-sided exact binomial test (``scipy.stats.binomtest``) of n_gk successes in n_k
    trials against ``census_share``, with the matching exact Clopper–Pearson interval.
    """
    from scipy import stats as scipy_stats  # noqa: PLC0415 - heavy (SciPy), loaded only when a test is computed

    _check_count(n_gk, n_k)
    if n_k == 0:
        raise ValueError("an empty stage has no composition to test")
    if not 0 <= census_share <= 1:
        raise ValueError("census_share must be a proportion")
    result = scipy_stats.binomtest(n_gk, n_k, census_share, alternative="two-sided")
    interval = result.proportion_ci(confidence_level=confidence, method="exact")
    return CompositionTest(
        n_gk,
        n_k,
        n_gk / n_k,
        census_share,
        float(result.pvalue),
        float(interval.low),
        float(interval.high),
        confidence,
    )


# ---------------------------------------------------------------------------------------
# Mantel–Haenszel stratified analysis
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MantelHaenszel:
    """Pooled odds ratio across strata (e.g. schools) and its tests.

    ``odds_ratio`` is the Mantel–Haenszel estimate Σ(a·d/n) / Σ(b·c/n); its interval uses the
    Robins–Breslow–Greenland variance. ``cmh_statistic``/``cmh_p_value`` test the null
    hypothesis that the common odds ratio is 1; ``homogeneity_statistic``/``…p_value`` are
    the Breslow–Day test (with Tarone's adjustment) that the odds ratio is the same in every
    stratum — a small p-value means one pooled figure hides real differences between strata.
    Fields are ``None`` when undefined (e.g. no informative strata, or the pooled OR is 0 or
    infinite).
    """

    odds_ratio: float | None
    low: float | None
    high: float | None
    cmh_statistic: float | None
    cmh_p_value: float | None
    homogeneity_statistic: float | None
    homogeneity_p_value: float | None
    strata_used: tuple[str, ...]
    strata_dropped: tuple[str, ...]
    confidence: float = 0.95


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def mantel_haenszel(
    strata: Mapping[str, tuple[int, int, int, int]],
    confidence: float = 0.95,
    continuity_correction: bool = False,
) -> MantelHaenszel:
    """Mantel–Haenszel analysis of 2×2 tables, one per stratum (statsmodels ``StratifiedTable``).

    Each stratum is ``(a, b, c, d)`` for the table ``[[a, b], [c, d]]`` — rows: group vs
    rest; columns: outcome yes vs no. Pooling within strata guards against Simpson's paradox
    (a gap that appears or reverses only because groups are spread unevenly across schools).

    Zero cells: a stratum with an empty row or column (everyone in one group, or everyone
    with the same outcome) carries no information about the odds ratio and would make the
    variance and homogeneity formulas divide by zero, so it is dropped and listed in
    ``strata_dropped``. Single zero cells elsewhere are kept unchanged (no 0.5 added), as the
    Mantel–Haenszel estimator handles them.
    """
    import numpy as np  # noqa: PLC0415 - heavy (NumPy), loaded only when a test is computed
    from statsmodels.stats.contingency_tables import StratifiedTable  # noqa: PLC0415 - heavy (statsmodels), loaded only when a test is computed

    used: list[str] = []
    dropped: list[str] = []
    tables = []
    for name, (a, b, c, d) in strata.items():
        if min(a, b, c, d) < 0:
            raise ValueError(f"{name}: counts must be non-negative")
        if 0 in (a + b, c + d, a + c, b + d):
            dropped.append(name)
            continue
        used.append(name)
        tables.append(np.array([[a, b], [c, d]], dtype=float))
    if not tables:
        return MantelHaenszel(
            None, None, None, None, None, None, None, (), tuple(dropped), confidence
        )
    table = StratifiedTable(tables)
    numerator = sum(t[0, 0] * t[1, 1] / t.sum() for t in tables)
    denominator = sum(t[0, 1] * t[1, 0] / t.sum() for t in tables)
    odds_ratio = low = high = None
    if numerator > 0 and denominator > 0:
        odds_ratio = float(table.oddsratio_pooled)
        ci_low, ci_high = table.oddsratio_pooled_confint(alpha=_alpha(confidence))
        low, high = _finite(ci_low), _finite(ci_high)
    null_test = table.test_null_odds(correction=continuity_correction)
    cmh_statistic, cmh_p = _finite(null_test.statistic), _finite(null_test.pvalue)
    homogeneity_statistic = homogeneity_p = None
    if len(tables) > 1 and odds_ratio is not None:
        equal = table.test_equal_odds(adjust=True)
        homogeneity_statistic, homogeneity_p = _finite(equal.statistic), _finite(equal.pvalue)
    return MantelHaenszel(
        odds_ratio,
        low,
        high,
        cmh_statistic,
        cmh_p,
        homogeneity_statistic,
        homogeneity_p,
        tuple(used),
        tuple(dropped),
        confidence,
    )


# ---------------------------------------------------------------------------------------
# Pre/post change
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedRankResult:
    """Paired Wilcoxon signed-rank test of post − pre.

    ``n`` pairs in total, ``n_nonzero`` with a non-zero change (zeros are dropped, Wilcoxon's
    original convention). ``w_plus``/``w_minus`` are the rank sums of positive/negative
    changes; ``rank_biserial`` is Kerby's matched-pairs r = (W+ − W−)/(W+ + W−), from −1
    (everyone worse) to +1 (everyone better). ``method`` names how the p-value was obtained.
    ``p_value`` and ``rank_biserial`` are ``None`` when no pair changed.
    """

    n: int
    n_nonzero: int
    median_change: float | None
    w_plus: float
    w_minus: float
    rank_biserial: float | None
    p_value: float | None
    method: str
    has_ties: bool


def _wilcoxon_p(nonzero: np.ndarray, method: str) -> float:
    from scipy import stats as scipy_stats  # noqa: PLC0415 - heavy (SciPy), loaded only when a test is computed

    return float(scipy_stats.wilcoxon(nonzero, zero_method="wilcox", method=method).pvalue)


def _positive_rank_sum(signed_ranks: np.ndarray, axis: int = -1) -> np.ndarray:
    import numpy as np  # noqa: PLC0415 - heavy (NumPy), loaded only when a test is computed

    return np.sum(np.where(signed_ranks > 0, signed_ranks, 0), axis=axis)


def _sign_flip_p(nonzero: np.ndarray, ranks: np.ndarray, resamples: int, seed: int) -> float:
    """Two-sided permutation p-value of W+ under random sign flips of the signed mid-ranks.

    This is the null distribution ``scipy.stats.wilcoxon(method=PermutationMethod(...))``
    uses; calling ``scipy.stats.permutation_test`` on the precomputed signed ranks with a
    vectorised statistic gives the same p-value about 30 times faster, because the ranks are
    not recomputed for every resample. With ``resamples ≥ 2^n`` SciPy enumerates every
    arrangement (an exact test); otherwise it draws them with the seeded generator.
    """
    import numpy as np  # noqa: PLC0415 - heavy (NumPy), loaded only when a test is computed
    from scipy import stats as scipy_stats  # noqa: PLC0415 - heavy (SciPy), loaded only when a test is computed

    signed_ranks = np.sign(nonzero) * ranks
    result = scipy_stats.permutation_test(
        (signed_ranks,),
        _positive_rank_sum,
        permutation_type="samples",
        vectorized=True,
        n_resamples=resamples,
        alternative="two-sided",
        rng=np.random.default_rng(seed),
    )
    return min(1.0, float(result.pvalue))


def wilcoxon_signed_rank(
    pre: Sequence[float], post: Sequence[float], *, seed: int = MONTE_CARLO_SEED
) -> SignedRankResult:
    """Paired Wilcoxon signed-rank test, two-sided (``scipy.stats.wilcoxon`` /
    ``scipy.stats.permutation_test``).

    Zero differences are removed first. Method, chosen explicitly (SciPy's own "auto"
    silently falls back to a normal approximation when there are ties):

    * no tied |differences| and at most 50 pairs → ``"exact"`` null distribution;
    * ties and at most 16 pairs → a permutation test enumerating all 2^n sign flips (exact
      conditional on the observed mid-ranks);
    * ties and up to 1,000 pairs → a Monte Carlo permutation test with 9,999 resamples
      (Monte Carlo standard error about 0.002 at p = 0.05) and a fixed ``seed`` so the
      reported p-value is reproducible;
    * ties and more pairs → the normal approximation with SciPy's tie correction of the
      variance (``"asymptotic"``);
    * more than 50 pairs without ties → the normal approximation (``"asymptotic"``).
    """
    import numpy as np  # noqa: PLC0415 - heavy (NumPy), loaded only when a test is computed
    from scipy import stats as scipy_stats  # noqa: PLC0415 - heavy (SciPy), loaded only when a test is computed

    if len(pre) != len(post):
        raise ValueError("pre and post must be paired (same length)")
    differences = np.asarray(post, dtype=float) - np.asarray(pre, dtype=float)
    if np.isnan(differences).any():
        raise ValueError("pairs with a missing score must be removed first")
    # Scale scores are item means (e.g. 4.1 − 3.9): round away floating-point noise so that
    # equal changes tie and zero changes are zero.
    differences = np.round(differences, DIFFERENCE_DECIMALS)
    n = len(differences)
    median_change = float(np.median(differences)) if n else None
    nonzero = differences[differences != 0]
    m = len(nonzero)
    if m == 0:
        return SignedRankResult(n, 0, median_change, 0.0, 0.0, None, None, "no changes", False)
    ranks = scipy_stats.rankdata(np.abs(nonzero))
    w_plus = float(ranks[nonzero > 0].sum())
    w_minus = float(ranks[nonzero < 0].sum())
    has_ties = len(np.unique(np.abs(nonzero))) < m
    if not has_ties and m <= EXACT_WILCOXON_MAX_N:
        p_value, label = _wilcoxon_p(nonzero, "exact"), "exact"
    elif has_ties and m <= ENUMERATED_PERMUTATION_MAX_N:
        p_value = _sign_flip_p(nonzero, ranks, 2**m, seed)
        label = f"permutation (all {2**m} sign flips)"
    elif has_ties and m <= TIED_NORMAL_APPROXIMATION_MIN_N:
        p_value = _sign_flip_p(nonzero, ranks, MONTE_CARLO_RESAMPLES, seed)
        label = f"permutation (Monte Carlo, {MONTE_CARLO_RESAMPLES} resamples, seed {seed})"
    elif has_ties:
        p_value = _wilcoxon_p(nonzero, "asymptotic")
        label = "normal approximation (tie-corrected)"
    else:
        p_value, label = _wilcoxon_p(nonzero, "asymptotic"), "normal approximation"
    return SignedRankResult(
        n=n,
        n_nonzero=m,
        median_change=median_change,
        w_plus=w_plus,
        w_minus=w_minus,
        rank_biserial=(w_plus - w_minus) / (w_plus + w_minus),
        p_value=p_value,
        method=label,
        has_ties=has_ties,
    )


def scale_score(items: Sequence[float | None], min_answered_fraction: float = 0.8) -> float | None:
    """Scale score = mean of the answered items, if at least 80 % of items were answered.

    ``None`` marks an unanswered item. Returns ``None`` when too few items were answered
    (e.g. fewer than 10 of the 12 career adapt-abilities items) or the scale is empty.
    """
    if not items:
        return None
    answered = [float(v) for v in items if v is not None]
    if not answered or len(answered) < min_answered_fraction * len(items) - 1e-9:
        return None
    return sum(answered) / len(answered)
