"""Statistics checked against published reference values and independent hand formulas.

Nothing here calls the library function the module wraps with the same arguments and
compares: every expected value is either a published figure (with its source) or computed
from first principles (closed-form formulas, complete enumeration, the stdlib).
"""

import itertools
import math
import random
from statistics import NormalDist

import numpy as np
import pytest
from scipy import stats as scipy_stats

from microintern.insights.stats import (
    TIED_NORMAL_APPROXIMATION_MIN_N,
    composition_vs_census,
    conversions,
    fisher_group_vs_rest,
    holm,
    mantel_haenszel,
    newcombe_difference,
    reach,
    representation_ratio,
    scale_score,
    wilcoxon_signed_rank,
    wilson_interval,
)

Z95 = NormalDist().inv_cdf(0.975)


def hand_wilson(x: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson (1927) score interval, closed form."""
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


# --- Wilson -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "n", "low", "high", "decimals"),
    [
        (3, 10, 0.108, 0.603, 3),  # the worked example: 10.8 %–60.3 %
        (0, 10, 0.000, 0.278, 3),  # 0 %–27.8 %
        (10, 10, 0.722, 1.000, 3),  # mirror image of 0/10
        (81, 263, 0.2553, 0.3662, 4),  # Newcombe (1998) Stat Med 17:857, Table I example
    ],
)
def test_wilson_published_values(x, n, low, high, decimals):
    result = wilson_interval(x, n)
    assert round(result.low, decimals) == pytest.approx(low)
    assert round(result.high, decimals) == pytest.approx(high)
    assert result.estimate == x / n


@pytest.mark.parametrize(("x", "n"), [(1, 1), (1, 7), (5, 9), (17, 40), (250, 1000)])
def test_wilson_matches_closed_form(x, n):
    result = wilson_interval(x, n)
    assert (result.low, result.high) == pytest.approx(hand_wilson(x, n), abs=1e-12)


def test_wilson_99_percent_is_wider():
    narrow, wide = wilson_interval(3, 10), wilson_interval(3, 10, confidence=0.99)
    assert (wide.low, wide.high) == pytest.approx(
        hand_wilson(3, 10, NormalDist().inv_cdf(0.995)), abs=1e-12
    )
    assert wide.low < narrow.low and wide.high > narrow.high


def test_wilson_empty_group_and_bad_input():
    empty = wilson_interval(0, 0)
    assert (empty.estimate, empty.low, empty.high) == (None, None, None)
    with pytest.raises(ValueError):
        wilson_interval(4, 3)
    with pytest.raises(ValueError):
        wilson_interval(1, 3, confidence=1.5)


def test_reach_is_attended_over_eligible():
    result = reach(12, 480)
    assert result.estimate == pytest.approx(0.025)
    assert (result.low, result.high) == pytest.approx(hand_wilson(12, 480), abs=1e-12)


# --- Newcombe ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "low", "high"),
    [
        # Newcombe (1998) Stat Med 17:873, Table II, method 10 (hybrid score)
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
    ],
)
def test_newcombe_published_values(x1, n1, x2, n2, low, high):
    result = newcombe_difference(x1, n1, x2, n2)
    assert round(result.low, 4) == low
    assert round(result.high, 4) == high
    assert result.difference == pytest.approx(x1 / n1 - x2 / n2)


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [(3, 10, 12, 20), (0, 8, 5, 9), (7, 7, 1, 30)])
def test_newcombe_matches_hand_formula(x1, n1, x2, n2):
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = hand_wilson(x1, n1)
    l2, u2 = hand_wilson(x2, n2)
    d = p1 - p2
    expected = (d - math.hypot(p1 - l1, u2 - p2), d + math.hypot(u1 - p1, p2 - l2))
    result = newcombe_difference(x1, n1, x2, n2)
    assert (result.low, result.high) == pytest.approx(expected, abs=1e-9)


def test_newcombe_with_an_empty_group():
    result = newcombe_difference(0, 0, 3, 10)
    assert (result.difference, result.low, result.high) == (None, None, None)
    assert result.p2.estimate == 0.3


# --- Representation ratio ---------------------------------------------------------------


def test_representation_ratio_by_hand():
    # 6 of 20 attendees are from a group that is 100 of 1,000 eligible students
    result = representation_ratio(6, 20, 100, 1000)
    low, high = hand_wilson(6, 20)
    assert result.ratio == pytest.approx(3.0)
    assert (result.low, result.high) == pytest.approx((low / 0.1, high / 0.1), abs=1e-12)
    assert result.population_share == 0.1
    assert result.low > 1  # over-represented beyond chance


def test_representation_ratio_undefined_cases():
    assert representation_ratio(0, 20, 0, 1000).ratio is None
    assert representation_ratio(0, 0, 10, 100).ratio is None
    assert representation_ratio(0, 10, 10, 100).ratio == 0.0
    with pytest.raises(ValueError):
        representation_ratio(3, 2, 10, 100)


# --- Conversion and impact ratio --------------------------------------------------------


def test_conversions_and_impact_ratio_flags():
    stages = ["eligible", "interested", "attended"]
    funnel = {"A": [100, 40, 20], "B": [50, 10, 3], "C": [0, 0, 0], "D": [40, 16, 4]}
    result = {(c.group, c.stage): c for c in conversions(funnel, stages)}

    a1, b1, d1 = result["A", "interested"], result["B", "interested"], result["D", "interested"]
    assert (a1.rate.estimate, b1.rate.estimate, d1.rate.estimate) == (0.4, 0.2, 0.4)
    assert a1.best_group == "A"  # A and D tie at 0.4: alphabetical tie-break is deterministic
    assert (a1.impact_ratio, b1.impact_ratio, d1.impact_ratio) == (1.0, 0.5, 1.0)
    assert (a1.flagged, b1.flagged, d1.flagged) == (False, True, False)
    assert result["C", "interested"].impact_ratio is None
    assert not result["C", "interested"].flagged

    a2, b2, d2 = result["A", "attended"], result["B", "attended"], result["D", "attended"]
    assert (a2.rate.estimate, b2.rate.estimate, d2.rate.estimate) == (0.5, 0.3, 0.25)
    assert b2.impact_ratio == pytest.approx(0.6) and b2.flagged
    assert d2.impact_ratio == pytest.approx(0.5) and d2.flagged
    assert (b2.rate.low, b2.rate.high) == pytest.approx(hand_wilson(3, 10), abs=1e-12)
    assert b2.previous_stage == "interested"


def test_impact_ratio_exactly_four_fifths_is_not_flagged():
    result = conversions({"A": [10, 5], "B": [10, 4]}, ["eligible", "interested"])
    b = next(c for c in result if c.group == "B")
    assert b.impact_ratio == pytest.approx(0.8)
    assert not b.flagged


def test_conversions_need_one_count_per_stage():
    with pytest.raises(ValueError):
        conversions({"A": [10]}, ["eligible", "interested"])


# --- Fisher exact and Holm --------------------------------------------------------------


def hand_fisher_two_sided(a: int, b: int, c: int, d: int) -> float:
    """Sum of hypergeometric probabilities no larger than the observed table's."""
    row1, col1, n = a + b, a + c, a + b + c + d

    def prob(x: int) -> float:
        return math.comb(col1, x) * math.comb(n - col1, row1 - x) / math.comb(n, row1)

    observed = prob(a)
    support = range(max(0, row1 + col1 - n), min(row1, col1) + 1)
    return sum(prob(x) for x in support if prob(x) <= observed * (1 + 1e-7))


def test_fisher_lady_tasting_tea():
    # Fisher (1935): 8 cups, 4 milk-first; she got 3 of the 4 right. p = 34/70 two-sided.
    results = fisher_group_vs_rest(
        {"milk first": 3, "tea first": 1}, {"milk first": 4, "tea first": 4}
    )
    milk = next(r for r in results if r.group == "milk first")
    assert milk.table == ((3, 1), (1, 3))
    assert milk.p_value == pytest.approx(34 / 70)
    assert milk.odds_ratio == pytest.approx(9.0)  # (3·3)/(1·1)
    assert milk.p_adjusted == pytest.approx(min(1.0, 2 * 34 / 70))  # Holm, two equal p-values
    assert not milk.reject


def test_fisher_group_vs_rest_matches_hypergeometric_enumeration():
    offered = {"A": 12, "B": 2, "C": 9, "empty": 0}
    interested = {"A": 30, "B": 25, "C": 20, "empty": 0}
    results = {r.group: r for r in fisher_group_vs_rest(offered, interested)}
    assert set(results) == {"A", "B", "C"}  # the empty group is not tested
    raw = {}
    for group in ("A", "B", "C"):
        x, n = offered[group], interested[group]
        rest_x, rest_n = 23 - x, 75 - n
        raw[group] = hand_fisher_two_sided(x, n - x, rest_x, rest_n - rest_x)
        assert results[group].p_value == pytest.approx(raw[group], rel=1e-9)
    order = sorted(raw, key=raw.get)
    running = 0.0
    for rank, group in enumerate(order):
        running = max(running, min(1.0, (3 - rank) * raw[group]))
        assert results[group].p_adjusted == pytest.approx(running, rel=1e-9)


def test_holm_by_hand():
    adjusted, reject = holm([0.01, 0.04, 0.03, 0.005])
    # sorted: 0.005×4 = 0.02, 0.01×3 = 0.03, 0.03×2 = 0.06, 0.04×1 → max(0.06, 0.04)
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert reject == [True, False, False, True]
    assert holm([]) == ([], [])


def test_holm_matches_statsmodels():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(7)
    for size in (1, 2, 5, 30):
        p_values = list(rng.uniform(0, 0.2, size)) + [0.01, 0.01]
        reject, adjusted, _, _ = multipletests(p_values, alpha=0.05, method="holm")
        ours, our_reject = holm(p_values)
        assert ours == pytest.approx(list(adjusted), rel=1e-12)
        assert our_reject == list(reject)


# --- Composition vs census --------------------------------------------------------------


def test_binomial_composition_test():
    result = composition_vs_census(3, 10, 0.5)
    assert result.p_value == pytest.approx(2 * 176 / 1024)  # P(X ≤ 3) + P(X ≥ 7), n = 10
    assert round(result.low, 4) == 0.0667  # Clopper–Pearson 3/10: 0.0667–0.6525
    assert round(result.high, 4) == 0.6525
    assert result.observed_share == 0.3


def test_binomial_composition_asymmetric_null_by_enumeration():
    k, n, p0 = 9, 40, 0.1
    pmf = [math.comb(n, i) * p0**i * (1 - p0) ** (n - i) for i in range(n + 1)]
    expected = sum(q for q in pmf if q <= pmf[k] * (1 + 1e-7))
    assert composition_vs_census(k, n, p0).p_value == pytest.approx(expected, rel=1e-9)
    with pytest.raises(ValueError):
        composition_vs_census(0, 0, 0.5)


# --- Mantel–Haenszel --------------------------------------------------------------------

# UC Berkeley graduate admissions 1973 by department (R's UCBAdmissions):
# (admitted men, admitted women, rejected men, rejected women)
UCB = {
    "A": (512, 89, 313, 19),
    "B": (353, 17, 207, 8),
    "C": (120, 202, 205, 391),
    "D": (138, 131, 279, 244),
    "E": (53, 94, 138, 299),
    "F": (22, 24, 351, 317),
}


def hand_mh(strata):
    numerator = sum(a * d / (a + b + c + d) for a, b, c, d in strata)
    denominator = sum(b * c / (a + b + c + d) for a, b, c, d in strata)
    return numerator / denominator


def hand_cmh_statistic(strata):
    deviation = variance = 0.0
    for a, b, c, d in strata:
        n = a + b + c + d
        deviation += a - (a + b) * (a + c) / n
        variance += (a + b) * (c + d) * (a + c) * (b + d) / (n * n * (n - 1))
    return deviation**2 / variance


def test_mantel_haenszel_berkeley_published_values():
    # R: mantelhaen.test(UCBAdmissions) → common OR 0.9046968, 95% CI 0.7719074–1.0603298,
    # Mantel-Haenszel X-squared = 1.4269 (continuity corrected), p = 0.2323
    result = mantel_haenszel(UCB, continuity_correction=True)
    assert result.odds_ratio == pytest.approx(0.9046968, abs=1e-7)
    assert result.low == pytest.approx(0.7719074, abs=1e-7)
    assert result.high == pytest.approx(1.0603298, abs=1e-7)
    assert result.cmh_statistic == pytest.approx(1.4269, abs=1e-4)
    assert result.cmh_p_value == pytest.approx(0.2323, abs=1e-4)
    # Breslow–Day test of homogeneity for these data: X² = 18.83 on 5 df, p = 0.0021
    assert result.homogeneity_statistic == pytest.approx(18.83, abs=0.01)
    assert result.homogeneity_p_value == pytest.approx(0.0021, abs=1e-4)
    assert result.strata_used == tuple("ABCDEF")


def test_mantel_haenszel_reverses_the_crude_odds_ratio_simpson():
    a, b, c, d = (sum(t[i] for t in UCB.values()) for i in range(4))
    crude = (a * d) / (b * c)
    assert crude == pytest.approx(1.84, abs=0.01)  # pooled: men look favoured…
    result = mantel_haenszel(UCB)
    assert result.odds_ratio == pytest.approx(hand_mh(UCB.values()), rel=1e-12)
    assert result.odds_ratio < 1  # …within departments they are not
    assert result.cmh_statistic == pytest.approx(hand_cmh_statistic(UCB.values()), rel=1e-9)


def test_mantel_haenszel_zero_cells():
    strata = {
        "Business": (4, 6, 0, 10),  # a single zero cell: informative, kept
        "Law": (3, 3, 2, 8),
        "Arts": (5, 0, 7, 0),  # nobody had the "no" outcome: empty column, dropped
        "Music": (0, 0, 4, 9),  # no group members at all: empty row, dropped
    }
    result = mantel_haenszel(strata)
    assert result.strata_used == ("Business", "Law")
    assert result.strata_dropped == ("Arts", "Music")
    kept = [strata["Business"], strata["Law"]]
    assert result.odds_ratio == pytest.approx(hand_mh(kept), rel=1e-12)
    assert result.cmh_statistic == pytest.approx(hand_cmh_statistic(kept), rel=1e-9)
    assert result.low is not None and result.low < result.odds_ratio < result.high
    assert result.homogeneity_p_value is not None


def test_mantel_haenszel_degenerate():
    nothing = mantel_haenszel({"x": (0, 0, 1, 1)})
    assert nothing.odds_ratio is None and nothing.strata_dropped == ("x",)
    infinite = mantel_haenszel({"x": (3, 0, 0, 4), "y": (2, 0, 1, 5)})  # Σ b·c/n = 0
    assert infinite.odds_ratio is None and infinite.low is None
    assert infinite.cmh_p_value is not None


# --- Wilcoxon signed-rank ---------------------------------------------------------------


def enumerate_signed_rank_p(differences):
    """Exact two-sided p over all 2^n sign flips of the mid-ranks of non-zero differences."""
    nonzero = [d for d in differences if d != 0]
    magnitudes = sorted(abs(d) for d in nonzero)
    ranks = []
    for value in (abs(d) for d in nonzero):
        first = magnitudes.index(value) + 1
        last = len(magnitudes) - magnitudes[::-1].index(value)
        ranks.append((first + last) / 2)
    observed = sum(r for r, d in zip(ranks, nonzero, strict=True) if d > 0)
    total = sum(ranks)
    sums = [
        sum(r for r, s in zip(ranks, signs, strict=True) if s)
        for signs in itertools.product([True, False], repeat=len(ranks))
    ]
    lower = sum(s <= observed + 1e-9 for s in sums) / len(sums)
    upper = sum(s >= observed - 1e-9 for s in sums) / len(sums)
    return min(1.0, 2 * min(lower, upper)), observed, total - observed


def test_wilcoxon_exact_without_ties():
    pre = [3, 3, 2, 5, 1, 2, 4, 1]
    post = [4, 5, 5, 1, 6, 8, 11, 9.5]  # changes 1, 2, 3, −4, 5, 6, 7, 8.5
    result = wilcoxon_signed_rank(pre, post)
    p, w_plus, w_minus = enumerate_signed_rank_p([b - a for a, b in zip(pre, post, strict=True)])
    assert (result.w_plus, result.w_minus) == (w_plus, w_minus) == (32, 4)
    assert result.p_value == pytest.approx(p) == pytest.approx(14 / 256)
    assert result.rank_biserial == pytest.approx((32 - 4) / 36)
    assert result.method == "exact"
    assert (result.n, result.n_nonzero, result.median_change, result.has_ties) == (
        8,
        8,
        4.0,
        False,
    )


def test_wilcoxon_permutation_with_ties_and_zeros():
    pre = [2, 2, 2, 2, 2, 2, 2, 2, 2]
    changes = [1, 2, 2, -1, 3, 0, 4, -2, 5]
    post = [a + d for a, d in zip(pre, changes, strict=True)]
    result = wilcoxon_signed_rank(pre, post)
    p, w_plus, w_minus = enumerate_signed_rank_p(changes)
    # mid-ranks of |1,2,2,1,3,4,2,5|: 1.5, 4, 4, 1.5, 6, 7, 4, 8 → W− = 1.5 + 4
    assert (result.w_plus, result.w_minus) == (w_plus, w_minus) == (30.5, 5.5)
    assert result.p_value == pytest.approx(p, abs=1e-12)
    assert result.rank_biserial == pytest.approx(25 / 36)
    assert result.method == "permutation (all 256 sign flips)"
    assert (result.n, result.n_nonzero, result.median_change, result.has_ties) == (
        9,
        8,
        2.0,
        True,
    )


def test_wilcoxon_monte_carlo_for_larger_samples_with_ties_is_reproducible():
    changes = [1, 1, 2, 2, 2, -1, 3, 0, 1, -2, 2, 1, 1, 3, -1, 2, 1, 2, 0, 1, -1, 2, 3]
    pre = [3] * len(changes)
    post = [3 + d for d in changes]
    first = wilcoxon_signed_rank(pre, post)
    assert first.method.startswith("permutation (Monte Carlo")
    assert wilcoxon_signed_rank(pre, post).p_value == first.p_value
    # normal approximation with tie correction, by hand, as a sanity band
    nonzero = [d for d in changes if d != 0]
    m = len(nonzero)
    tie_sizes = [sum(abs(x) == v for x in nonzero) for v in {abs(x) for x in nonzero}]
    variance = m * (m + 1) * (2 * m + 1) / 24 - sum(t**3 - t for t in tie_sizes) / 48
    z = (first.w_plus - m * (m + 1) / 4) / math.sqrt(variance)
    normal_p = 2 * (1 - NormalDist().cdf(abs(z)))
    assert first.p_value == pytest.approx(normal_p, abs=0.01)


def test_sign_flip_shortcut_agrees_with_scipy_wilcoxon_permutation_method():
    """Our faster route gives the p-value scipy.stats.wilcoxon itself gives with the same
    explicit PermutationMethod (a different code path: SciPy re-ranks every resample)."""
    changes = [1, 2, 2, -1, 3, 4, -2, 5, 2, -3, 1, 6]
    result = wilcoxon_signed_rank([0] * len(changes), changes)
    reference = scipy_stats.wilcoxon(
        changes, method=scipy_stats.PermutationMethod(n_resamples=2 ** len(changes))
    )
    assert result.p_value == pytest.approx(float(reference.pvalue), abs=1e-12)
    assert result.p_value == pytest.approx(enumerate_signed_rank_p(changes)[0], abs=1e-12)
    assert np.isfinite(result.p_value)


def test_wilcoxon_float_noise_in_scale_means_still_ties():
    result = wilcoxon_signed_rank([3.9, 4.0, 2.2, 3.0], [4.1, 4.2, 2.3, 3.0])
    assert result.has_ties  # 0.2 == 0.2 despite 4.1 − 3.9 ≠ 4.2 − 4.0 in binary
    assert (result.n_nonzero, result.w_plus, result.w_minus) == (3, 6.0, 0.0)


def test_wilcoxon_no_changes_and_bad_input():
    result = wilcoxon_signed_rank([1, 2, 3], [1, 2, 3])
    assert (result.p_value, result.rank_biserial, result.median_change) == (None, None, 0.0)
    with pytest.raises(ValueError):
        wilcoxon_signed_rank([1, 2], [1])
    with pytest.raises(ValueError):
        wilcoxon_signed_rank([1, float("nan")], [1, 2])


# --- Scale scores -----------------------------------------------------------------------


def test_scale_score_needs_80_percent_of_items():
    twelve = [4, 5, 3, 4, 5, 4, 3, 4, 5, 4, None, None]  # 10 of 12 answered (83 %)
    assert scale_score(twelve) == pytest.approx(41 / 10)
    assert scale_score([*twelve[:9], None, None, None]) is None  # 9 of 12 (75 %)
    assert scale_score([2, 3, 4, 5, None]) == pytest.approx(3.5)  # exactly 80 %
    assert scale_score([2, 3, 4, None, None]) is None
    assert scale_score([]) is None
    assert scale_score([None, None]) is None
    assert scale_score([None, 5], min_answered_fraction=0.5) == 5.0


def test_wilcoxon_with_ties_and_many_pairs_uses_the_tie_corrected_normal_approximation():
    rng = random.Random(7)
    changes = [rng.choice([-2, -1, 0, 1, 1, 2, 3]) for _ in range(1_500)]
    pre = [3.0] * len(changes)
    post = [3.0 + d for d in changes]
    result = wilcoxon_signed_rank(pre, post)
    nonzero = [d for d in changes if d]
    assert result.method == "normal approximation (tie-corrected)"
    assert result.n_nonzero == len(nonzero) > TIED_NORMAL_APPROXIMATION_MIN_N
    expected = scipy_stats.wilcoxon(nonzero, zero_method="wilcox", method="asymptotic").pvalue
    assert result.p_value == pytest.approx(expected, rel=1e-12)
    # The permutation distribution it stands in for gives the same answer (small effect:
    # p well inside (0, 1), so a disagreement would show).
    ties_but_weak = [rng.choice([-2, -1, 1, 1, 2, -1, 0]) for _ in range(1_200)]
    pre, post = [3.0] * len(ties_but_weak), [3.0 + d for d in ties_but_weak]
    approximated = wilcoxon_signed_rank(pre, post)
    kept = [d for d in ties_but_weak if d]
    permuted = scipy_stats.wilcoxon(
        kept,
        zero_method="wilcox",
        method=scipy_stats.PermutationMethod(n_resamples=9_999, rng=1),
    ).pvalue
    assert 0.001 < approximated.p_value < 0.999
    assert approximated.p_value == pytest.approx(permuted, abs=0.01)
