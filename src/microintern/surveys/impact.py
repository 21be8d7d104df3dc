"""Impact: pre → post and retrospective-pre → post change per scale; lottery comparison.

The answers of students who took part are grouped in Python by (student, micro-internship)
— a few rows per participant, not a loop over the student population — and every figure
then passes disclosure control: a statistic about 7 or fewer people is suppressed (HESA's
rule for averages), counts are rounded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from microintern.accounts.models import Student
from microintern.insights import stats
from microintern.insights.disclosure import (
    HESA_MAX_SUPPRESSED_AVERAGE_POPULATION,
    SUPPRESSED,
    OutputMode,
    protect_average,
    protect_count,
    protect_percentage,
)
from microintern.insights.report import DisplayTable
from microintern.selection.enums import Outcome, RunKind
from microintern.selection.models import SelectionRun

from .enums import InstrumentKind, Timing
from .instruments import CAAS_ITEMS, CONFIDENCE_ITEMS, SCALES
from .models import Answer


def impact_tables(mode: OutputMode) -> list[DisplayTable]:
    """Every table of the impact report, as the page, the exports and the PDF show them."""
    return [
        change_table(changes(), mode),
        host_outcomes(mode),
        host_themes(mode),
        lottery_comparison(mode),
    ]


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


def lottery_groups() -> dict[int, bool]:
    """{student id: offered?} for applicants whose outcome the lottery decided.

    From every published selection run: within a priority group (tier) where some students
    were offered a place and others were not (not selected or waiting list), everyone had
    the same priority and the seeded lottery decided between them — given the choices they
    made. Students placed by staff or set aside before the draw (no group) are left out, and
    a student appearing in several rounds keeps their first.
    """
    decided: dict[str, bool] = {}
    for result in (
        SelectionRun.objects.filter(kind=RunKind.PUBLISHED)
        .order_by("created_at")
        .values_list("result", flat=True)
    ):
        by_group: dict = defaultdict(list)
        for row in result.get("students", []):
            if row.get("group") is not None:
                by_group[row["group"]].append(row)
        for rows in by_group.values():
            offered = {row["student_number"]: row["outcome"] == Outcome.OFFERED for row in rows}
            if set(offered.values()) == {True, False}:
                for number, was_offered in offered.items():
                    decided.setdefault(number, was_offered)
    ids = dict(
        Student.objects.filter(student_number__in=list(decided)).values_list("student_number", "pk")
    )
    return {ids[number]: offered for number, offered in decided.items() if number in ids}


def lottery_comparison(mode: OutputMode) -> DisplayTable:
    """Follow-up outcomes ("applied for / secured a placement, internship or job") of
    offered vs not-offered applicants in lottery-decided priority groups."""
    groups = lottery_groups()
    answers: dict = defaultdict(dict)
    for student, code, number in Answer.objects.filter(
        item__code__in=["applied", "secured"],
        response__invitation__student__in=list(groups),
        response__version__instrument__kind=InstrumentKind.FOLLOW_UP,
        number__isnull=False,
    ).values_list("response__invitation__student", "item__code", "number"):
        label = "Offered a place" if groups[student] else "Not offered"
        previous = answers[(label, code)].get(student, 0)
        answers[(label, code)][student] = max(previous, number)
    table = []
    for label in ("Offered a place", "Not offered"):
        in_group = sum(1 for offered in groups.values() if offered == (label == "Offered a place"))
        line = [label, protect_count(in_group, mode).display]
        for code in ("applied", "secured"):
            given = answers.get((label, code), {})
            line += [
                protect_count(len(given), mode).display,
                protect_percentage(sum(1 for v in given.values() if v), len(given), mode).display,
            ]
        table.append(line)
    return DisplayTable(
        "lottery",
        "Follow-up outcomes: offered vs not offered by lottery, same priority group",
        [
            "Group",
            "Applicants",
            "Answered (applied)",
            "Applied for a role",
            "Answered (secured)",
            "Secured a role",
        ],
        table,
        "Only applicants in a priority group that the lottery split (some offered, some not) "
        "in a published selection round are compared, so the two groups differ by chance "
        "alone — at the time of the draw. Caveats: outcomes also depend on the choices they "
        "ranked; not-offered students may take part in a later round; answering the "
        "follow-up is voluntary and may differ between the groups; small numbers are "
        "suppressed. With these caveats this is the basis of TASO type 3 (causal) evidence; "
        "pre/post change above is type 2.",
    )


def host_outcomes(mode: OutputMode) -> DisplayTable:
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


HOST_THEMES = {
    "Fresh ideas and perspectives": ("fresh", "new idea", "ideas", "perspective", "creative"),
    "Quality of research and recommendations": (
        "research",
        "recommendation",
        "insight",
        "data",
        "practical",
        "useful",
    ),
    "Presentation and communication": ("present", "pitch", "communicat", "explain", "slides"),
    "Students' professionalism and skills": ("professional", "skill", "talent", "capable"),
    "Diversity of the team": ("divers", "background", "different", "inclusi"),
    "Time, preparation and workload": ("time", "hours", "prepar", "workload", "busy"),
    "Organisation by the university": ("organis", "support", "clinic", "communication from"),
}
"""A first-pass codebook for host comments: a theme is counted when a comment contains any
of its keywords (case-insensitive stems). A researcher should check and refine the coding."""


def comment_themes(comments: list[str]) -> dict[str, int]:
    """How many comments touch each theme (a comment can touch several)."""
    counts = dict.fromkeys(HOST_THEMES, 0)
    for comment in comments:
        lowered = comment.lower()
        for theme, keywords in HOST_THEMES.items():
            if any(keyword in lowered for keyword in keywords):
                counts[theme] += 1
    return counts


def host_themes(mode: OutputMode) -> DisplayTable:
    comments = list(
        Answer.objects.filter(
            response__version__instrument__kind=InstrumentKind.HOST, item__code="host_comments"
        )
        .exclude(text="")
        .values_list("text", flat=True)
    )
    counts = comment_themes(comments)
    return DisplayTable(
        "host_themes",
        "Themes in host comments",
        ["Theme", "Comments"],
        [[theme, protect_count(n, mode).display] for theme, n in counts.items()],
        f"Keyword coding of {protect_count(len(comments), mode).display} comments (rounded): a "
        "first pass for a researcher to check, not a finished thematic analysis.",
    )
