"""Impact: pre → post and retrospective-pre → post change per scale; lottery comparison.

The answers of students who took part are grouped in Python by (student, micro-internship)
— a few rows per participant, not a loop over the student population — and every figure
then passes disclosure control: a statistic about 7 or fewer people is suppressed (HESA's
rule for averages), counts are rounded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from microintern.applications.enums import PlaceState
from microintern.insights import stats
from microintern.insights.disclosure import (
    HESA_MAX_SUPPRESSED_AVERAGE_POPULATION,
    SUPPRESSED,
    OutputMode,
    protect_count,
    protect_percentage,
)
from microintern.insights.report import DisplayTable

from .enums import InstrumentKind, Timing
from .instruments import SCALES
from .models import Answer


def _scale_of(item_scale: str) -> list[str]:
    """An item counts towards its own scale and, for CAAS subscales, the whole CAAS."""
    if item_scale.startswith("caas_"):
        return [item_scale, "caas"]
    return [item_scale] if item_scale else []


def scale_scores(answers) -> dict:
    """{(student, mi, kind, timing, scale): score} from answer rows (80% rule applied)."""
    items: dict = defaultdict(list)
    for row in answers:
        for scale in _scale_of(row["item__scale"]):
            key = (
                row["response__invitation__student"],
                row["response__micro_internship"],
                row["response__version__instrument__kind"],
                row["item__timing"],
                scale,
            )
            items[key].append(row["number"])
    sizes = _scale_sizes()
    return {
        key: stats.scale_score(values + [None] * max(0, sizes[key[4]] - len(values)))
        for key, values in items.items()
    }


def _scale_sizes() -> dict[str, int]:
    from .instruments import CAAS_ITEMS, CONFIDENCE_ITEMS

    sizes = {"caas": len(CAAS_ITEMS), "self_efficacy": len(CONFIDENCE_ITEMS)}
    for sub in {sub for sub, _ in CAAS_ITEMS}:
        sizes[f"caas_{sub}"] = sum(1 for s, _ in CAAS_ITEMS if s == sub)
    return sizes


@dataclass(frozen=True)
class Change:
    scale: str
    comparison: str
    result: stats.SignedRankResult


def changes(micro_internship_ids=None) -> list[Change]:
    """Paired changes per scale: pre → post, and (where asked) retrospective pre → post."""
    answers = Answer.objects.filter(
        response__invitation__student__isnull=False,
        response__version__instrument__kind__in=[
            InstrumentKind.STUDENT_PRE,
            InstrumentKind.STUDENT_POST,
        ],
        number__isnull=False,
    ).exclude(item__scale="")
    if micro_internship_ids is not None:
        answers = answers.filter(response__micro_internship__in=micro_internship_ids)
    scores = scale_scores(
        answers.values(
            "response__invitation__student",
            "response__micro_internship",
            "response__version__instrument__kind",
            "item__timing",
            "item__scale",
            "number",
        )
    )
    result = []
    for scale in SCALES:
        for label, before_kind, before_timing in (
            ("Before → after", InstrumentKind.STUDENT_PRE, Timing.NOW),
            ("Looking back → after", InstrumentKind.STUDENT_POST, Timing.BEFORE),
        ):
            pre, post = [], []
            for (student, mi, kind, timing, s), score in scores.items():
                if s != scale or kind != before_kind or timing != before_timing:
                    continue
                after = scores.get((student, mi, InstrumentKind.STUDENT_POST, Timing.NOW, s))
                if score is not None and after is not None:
                    pre.append(score)
                    post.append(after)
            if pre:
                result.append(Change(scale, label, stats.wilcoxon_signed_rank(pre, post)))
    return result


def change_table(found: list[Change], mode: OutputMode) -> DisplayTable:
    rows = []
    for change in found:
        r = change.result
        small = not mode.restricted and r.n <= HESA_MAX_SUPPRESSED_AVERAGE_POPULATION
        rows.append(
            [
                SCALES[change.scale],
                change.comparison,
                protect_count(r.n, mode).display,
                SUPPRESSED if small or r.median_change is None else f"{r.median_change:+.2f}",
                SUPPRESSED if small or r.rank_biserial is None else f"{r.rank_biserial:+.2f}",
                SUPPRESSED if small or r.p_value is None else _p(r.p_value),
                r.method,
            ]
        )
    return DisplayTable(
        "impact_change",
        "Change per scale (paired Wilcoxon signed-rank test)",
        ["Scale", "Comparison", "Pairs", "Median change", "Rank-biserial r", "p", "Method"],
        rows,
        "Scale score = mean of the items answered, if at least 80% were answered; scores run "
        "1–5. Before → after compares the pre-survey with the end-of-day survey; looking back → "
        "after compares the end-of-day 'before today' answers with 'now' (a retrospective "
        "pre-test, which avoids response-shift bias but may overstate change). Pre/post "
        "without a comparison group is TASO type 2 evidence: it cannot show the change was "
        "caused by the day. Figures based on 7 or fewer people are suppressed.",
    )


def _p(value: float) -> str:
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def lottery_comparison(mode: OutputMode) -> DisplayTable:
    """Follow-up outcomes of offered vs not-offered applicants decided by lottery.

    Applicants "not selected" at an oversubscribed micro-internship competed with those
    offered; where selection was by lottery within a priority tier, the two groups differ
    only by chance. The comparison here is the follow-up answer "applied for / secured a
    placement, internship or job", for those who answered the follow-up survey.
    """
    offered_states = [
        PlaceState.OFFERED,
        PlaceState.ACCEPTED,
        PlaceState.ATTENDED,
        PlaceState.NO_SHOW,
        PlaceState.DECLINED,
        PlaceState.EXPIRED,
    ]
    rows = Answer.objects.filter(
        item__code__in=["applied", "secured"],
        response__invitation__student__isnull=False,
        response__version__instrument__kind=InstrumentKind.FOLLOW_UP,
        number__isnull=False,
    ).values(
        "item__code",
        "number",
        "response__invitation__student__interests__state",
        "response__invitation__student",
        "response__micro_internship",
        "response__invitation__student__interests__micro_internship",
    )
    outcome: dict = defaultdict(dict)
    for row in rows:
        if (
            row["response__micro_internship"]
            != row["response__invitation__student__interests__micro_internship"]
        ):
            continue
        group = (
            "Offered a place"
            if row["response__invitation__student__interests__state"] in offered_states
            else "Not offered"
            if row["response__invitation__student__interests__state"] == PlaceState.NOT_SELECTED
            else None
        )
        if group:
            outcome[(group, row["item__code"])][row["response__invitation__student"]] = row[
                "number"
            ]
    table = []
    for group in ("Offered a place", "Not offered"):
        line = [group]
        for code in ("applied", "secured"):
            answers = outcome.get((group, code), {})
            yes = sum(1 for v in answers.values() if v)
            line += [
                protect_count(len(answers), mode).display,
                protect_percentage(yes, len(answers), mode).display,
            ]
        table.append(line)
    return DisplayTable(
        "lottery",
        "Follow-up outcomes: offered vs not offered in lottery-decided rounds",
        [
            "Group",
            "Answered (applied)",
            "Applied for a role",
            "Answered (secured)",
            "Secured a role",
        ],
        table,
        "Caveats: only rounds where places were decided by lottery among equal-priority "
        "applicants give a fair comparison, and only for students in the same priority tier; "
        "not-offered students may join a later round; answering the follow-up is voluntary "
        "and may differ between groups; small numbers are suppressed. With these caveats this "
        "is the basis of TASO type 3 (causal) evidence.",
    )


def host_outcomes(mode: OutputMode) -> DisplayTable:
    from microintern.insights.disclosure import protect_average

    values: dict = defaultdict(list)
    for code, number in Answer.objects.filter(
        response__version__instrument__kind=InstrumentKind.HOST,
        item__code__in=["host_value", "host_hours", "host_again", "host_view"],
        number__isnull=False,
    ).values_list("item__code", "number"):
        values[code].append(number)
    labels = {
        "host_value": "Value of the recommendations (1–5)",
        "host_hours": "Staff hours given",
        "host_again": "Likelihood of hosting again (0–10)",
        "host_view": "Changed view of under-represented students (1–5)",
    }
    rows = []
    for code, label in labels.items():
        numbers = values.get(code, [])
        rows.append(
            [
                label,
                protect_count(len(numbers), mode).display,
                protect_average(numbers, mode, statistic="mean").display,
                protect_average(numbers, mode, statistic="median").display,
            ]
        )
    return DisplayTable(
        "host",
        "Host outcomes",
        ["Question", "Answers", "Mean", "Median"],
        rows,
        "Averages of 7 or fewer answers are suppressed.",
    )
