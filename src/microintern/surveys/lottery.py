"""The lottery comparison as a natural experiment (pure Python, no Django).

Who the draw decided about. In a published selection run every student has a priority
group and a seeded lottery number; the engine gives places in priority order. Among
students of one priority group whose first choice was the same micro-internship, whether
they were offered a place depends only on their lottery numbers: the draw decided. A
*stratum* is (round, first-choice micro-internship, priority group), kept only when that
micro-internship was oversubscribed (more applicants ranked it than it had places for the
draw) and the stratum holds both outcomes (someone offered a place, someone offered none).
Applicants placed by staff or set aside before the draw have no group and are left out; a
student in several rounds keeps their first stratum.

Intention to treat. "Offered" is the outcome of the initial draw (an offer of any place in
the round). Students offered a place later from a waiting list stay in the not-offered arm
and are counted separately, so the comparison is the effect of being offered at the draw.

The estimate. The Mantel–Haenszel risk difference across strata (weights n₁n₀/N), with the
variance of Sato (1989), consistent both for many small strata and for a few large ones
(Greenland & Robins 1985), a 95 % normal interval, and the Cochran–Mantel–Haenszel test of
no association (without continuity correction). The minimum detectable effect is the risk
difference that the same strata would detect with 80 % power in a two-sided test at 5 %,
at the outcome rate seen overall.

The plan. A round's fingerprint binds its analysis plan; :func:`check_plan` says whether the
comparison follows the plan as it was when the round was sealed (confirmatory) or not
(exploratory), and :func:`plan_verdict` turns the rounds pooled into one label.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

from microintern.selection import commitment

OFFERED = "offered"


@dataclass(frozen=True, slots=True)
class Applicant:
    """One applicant the draw decided about: their stratum and whether the draw offered them
    a place (``offered``)."""

    student: str
    stratum: tuple
    offered: bool
    place: str
    """The micro-internship the follow-up is about: the one offered, else the first choice."""


def drawn_applicants(rounds: Iterable[tuple[object, dict, dict]]) -> list[Applicant]:
    """Applicants in strata the draw decided, from published runs ``(round key, inputs, result)``
    in the order they were drawn (see the module docstring)."""
    seen: set[str] = set()
    chosen: list[Applicant] = []
    for round_key, inputs, result in rounds:
        places = {m["id"]: m.get("places_for_draw", 0) for m in inputs.get("micro_internships", [])}
        choices = {s["id"]: list(s.get("choices", [])) for s in inputs.get("students", [])}
        wanted: dict[str, int] = {}
        for ranking in choices.values():
            for ref in ranking:
                wanted[ref] = wanted.get(ref, 0) + 1
        strata: dict[tuple, list[Applicant]] = {}
        for row in result.get("students", []):
            number, group = row["student_number"], row.get("group")
            ranking = choices.get(number) or []
            if group is None or not ranking or number in seen:
                continue
            first = ranking[0]
            if wanted.get(first, 0) <= places.get(first, 0):
                continue
            offered = row["outcome"] == OFFERED
            key = (round_key, first, group)
            place = (row.get("offered") or first) if offered else first
            strata.setdefault(key, []).append(Applicant(number, key, offered, place))
        for members in strata.values():
            if {a.offered for a in members} == {True, False}:
                chosen.extend(members)
        seen.update(a.student for a in chosen)
    return chosen


@dataclass(frozen=True, slots=True)
class Stratum:
    """Counts of one stratum: events / respondents among offered (1) and not offered (0)."""

    events_1: int
    n_1: int
    events_0: int
    n_0: int


@dataclass(frozen=True, slots=True)
class RiskDifference:
    estimate: float | None
    low: float | None
    high: float | None
    p_value: float | None
    strata: int
    """Strata that carry information (respondents in both arms)."""
    minimum_detectable: float | None


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def mantel_haenszel_risk_difference(
    strata: Sequence[Stratum], confidence: float = 0.95, power: float = 0.8
) -> RiskDifference:
    """Mantel–Haenszel risk difference (offered − not offered), Sato's variance, a normal
    interval, the CMH test and the minimum detectable effect (module docstring)."""
    used = [s for s in strata if s.n_1 > 0 and s.n_0 > 0]
    if not used:
        return RiskDifference(None, None, None, None, 0, None)
    weight = numerator = p_sum = q_sum = 0.0
    cmh_num = cmh_var = 0.0
    null_var = 0.0
    events = sum(s.events_1 + s.events_0 for s in used)
    people = sum(s.n_1 + s.n_0 for s in used)
    for s in used:
        a, n1, c, n0 = s.events_1, s.n_1, s.events_0, s.n_0
        n = n1 + n0
        weight += n1 * n0 / n
        numerator += (a * n0 - c * n1) / n
        p_sum += (n1 * n1 * c - n0 * n0 * a + n1 * n0 * (n0 - n1) / 2) / (n * n)
        q_sum += (a * (n0 - c) + c * (n1 - a)) / (2 * n)
        m1 = a + c
        cmh_num += a - n1 * m1 / n
        if n > 1:
            cmh_var += n1 * n0 * m1 * (n - m1) / (n * n * (n - 1))
        null_var += (n1 * n0 / n) ** 2 * (1 / n1 + 1 / n0)
    estimate = numerator / weight
    variance = max(0.0, (estimate * p_sum + q_sum) / (weight * weight))
    half = _z(confidence) * math.sqrt(variance)
    p_value = None
    if cmh_var > 0:
        chi2 = cmh_num * cmh_num / cmh_var
        p_value = math.erfc(math.sqrt(chi2 / 2))
    rate = events / people
    spread = rate * (1 - rate) if 0 < events < people else 0.25
    mde = (_z(confidence) + NormalDist().inv_cdf(power)) * math.sqrt(
        spread * null_var / (weight * weight)
    )
    return RiskDifference(
        estimate,
        max(-1.0, estimate - half),
        min(1.0, estimate + half),
        p_value,
        len(used),
        min(1.0, mde),
    )


def outcome_strata(
    applicants: Sequence[Applicant], outcomes: Mapping[str, int | None]
) -> list[Stratum]:
    """Per stratum, the 2×2 counts of ``outcomes`` (student → 1/0; missing or None: no
    answer, left out)."""
    counts: dict[tuple, list[int]] = {}
    for a in applicants:
        value = outcomes.get(a.student)
        if value is None:
            continue
        cell = counts.setdefault(a.stratum, [0, 0, 0, 0])
        offset = 0 if a.offered else 2
        cell[offset] += 1 if value else 0
        cell[offset + 1] += 1
    return [Stratum(*cell) for cell in counts.values()]


@dataclass(frozen=True, slots=True)
class Balance:
    characteristic: str
    yes_1: int
    known_1: int
    yes_0: int
    known_0: int

    @property
    def standardised_difference(self) -> float | None:
        """(p₁ − p₀) ÷ √((p₁(1−p₁) + p₀(1−p₀)) / 2); |d| > 0.1 is the usual imbalance flag."""
        if not self.known_1 or not self.known_0:
            return None
        p1, p0 = self.yes_1 / self.known_1, self.yes_0 / self.known_0
        spread = (p1 * (1 - p1) + p0 * (1 - p0)) / 2
        return 0.0 if spread == 0 else (p1 - p0) / math.sqrt(spread)


def balance(
    applicants: Sequence[Applicant], baseline: Mapping[str, Mapping[str, bool | None]]
) -> list[Balance]:
    """Per baseline characteristic (student → {characteristic: yes/no/unknown}), how many of
    each arm had it, of those whose value is known."""
    names: list[str] = []
    for values in baseline.values():
        names.extend(name for name in values if name not in names)
    rows = []
    for name in names:
        cells = [0, 0, 0, 0]
        for a in applicants:
            value = baseline.get(a.student, {}).get(name)
            if value is None:
                continue
            offset = 0 if a.offered else 2
            cells[offset] += 1 if value else 0
            cells[offset + 1] += 1
        rows.append(Balance(name, *cells))
    return rows


# ---------------------------------------------------------------------------------------
# The analysis plan a comparison follows
# ---------------------------------------------------------------------------------------

COMMITTING_ACTIONS = (
    "selection.round_created",
    "selection.second_round_created",
    "selection.policy_changed",
)
"""Log actions that record a (policy, fingerprint) pair the round committed to."""
SEALED = "selection.closed"


@dataclass(frozen=True, slots=True)
class PlanCheck:
    """Whether one round's comparison may be presented as confirmatory, and why."""

    round_name: str
    fingerprint: str
    confirmatory: bool
    reason: str
    plan: str = ""


def check_plan(
    *,
    round_name: str,
    plan: str,
    seed_sha256: str,
    policy: dict,
    fingerprint: str,
    history: Sequence[tuple[str, Mapping, str]],
) -> PlanCheck:
    """Is ``plan`` the analysis plan the round fingerprinted before it was first sealed?

    ``history`` is the round's log, oldest first, as (action, data, date text). The round's
    fingerprint binds the seed, the policy and the plan (``selection.commitment``), so the
    plan at the first seal is the one that, with the policy last committed before that seal,
    gives the fingerprint logged then. Confirmatory only when the plan shown gives the
    round's fingerprint now *and* that one from before the first seal: a plan changed after
    the seal (re-opening the round) makes the comparison exploratory.
    """

    def result(confirmatory: bool, reason: str) -> PlanCheck:
        return PlanCheck(round_name, fingerprint, confirmatory, reason, plan.strip())

    if not plan.strip():
        return result(False, "No analysis plan was recorded before the draw.")
    if commitment.commitment(seed_sha256, policy, plan) != fingerprint:
        return result(False, "The analysis plan does not match the round's fingerprint.")
    committed, sealed_on = None, None
    for action, data, when in history:
        if action == SEALED:
            sealed_on = when
            break
        if action in COMMITTING_ACTIONS and "policy" in data and "commitment" in data:
            committed = data
    if sealed_on is None or committed is None:
        return result(False, "The round's log does not show the plan it was sealed with.")
    if commitment.commitment(seed_sha256, committed["policy"], plan) != committed["commitment"]:
        return result(
            False,
            f"The analysis plan was changed after the round was first sealed ({sealed_on}).",
        )
    return result(
        True, f"The plan fingerprinted before the draw, unchanged since the seal ({sealed_on})."
    )


def plan_verdict(checks: Sequence[PlanCheck]) -> tuple[bool, str]:
    """(confirmatory, the sentence to show) for a comparison pooling these rounds.

    Confirmatory only when every round follows the plan it fingerprinted before its draw
    and all of them fixed the same plan: one pooled comparison cannot follow two plans."""
    if not checks:
        return False, "Exploratory, not confirmatory: no round in the comparison yet."
    not_followed = [c for c in checks if not c.confirmatory]
    if not not_followed and len({c.plan for c in checks}) > 1:
        rounds = "; ".join(f"{c.round_name}: fingerprint {c.fingerprint}" for c in checks)
        return False, (
            "Exploratory, not confirmatory: the rounds pooled here fixed different analysis "
            f"plans before their draws ({rounds}), and one pooled comparison follows none of "
            "them. Compare round by round, or fix one plan for every round before its draw."
        )
    if not not_followed:
        fingerprints = ", ".join(c.fingerprint for c in checks)
        return True, (
            "Confirmatory: follows the analysis plan each round fingerprinted before its "
            f"draw (fingerprint {fingerprints})."
        )
    reasons = "; ".join(f"{c.round_name}: {c.reason}" for c in not_followed)
    return False, (
        "Exploratory, not confirmatory: the comparison does not follow an analysis plan "
        f"fixed before the draw ({reasons})."
    )
