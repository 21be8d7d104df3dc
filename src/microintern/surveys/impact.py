"""Impact: pre → post and retrospective-pre → post change per scale; lottery comparison.

The answers of students who took part are grouped in Python by (student, micro-internship)
— a few rows per participant, not a loop over the student population — and every figure
then passes disclosure control: a statistic about 7 or fewer people is suppressed (HESA's
rule for averages), counts are rounded.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db.models import Count, Max, Min
from django.urls import reverse
from django.utils import timezone

from microintern.accounts.models import Student
from microintern.applications.links import absolute
from microintern.applications.models import ExpressionOfInterest
from microintern.core.models import ActivityLog
from microintern.insights import stats
from microintern.insights.academic_year import AcademicYear
from microintern.insights.consent import only_consenting
from microintern.insights.disclosure import (
    HESA_MAX_SUPPRESSED_AVERAGE_POPULATION,
    HESA_MIN_PERCENTAGE_POPULATION,
    SUPPRESSED,
    OutputMode,
    protect_average,
    protect_count,
    protect_percentage,
)
from microintern.insights.models import PopulationRecord, ResearchConsent
from microintern.insights.report import DisplayTable
from microintern.programme.models import MicroInternship
from microintern.selection.enums import RunKind
from microintern.selection.models import RoundMicroInternship, SelectionRound, SelectionRun

from . import lottery
from .domain import AFTER_AN_OFFER
from .enums import InstrumentKind, Timing
from .instruments import CAAS_ITEMS, CONFIDENCE_ITEMS, SCALES
from .models import Answer, InstrumentVersion


def impact_tables(mode: OutputMode, year: AcademicYear | None = None) -> list[DisplayTable]:
    """Every table of the impact report, as the page, the exports and the PDF show them:
    answers about micro-internships of ``year`` (all years when None)."""
    ids = None if year is None else _micro_internships_of(year)
    data = lottery_data(year)
    return [
        change_table(changes(ids), mode),
        host_outcomes(mode, ids),
        host_themes(mode, ids),
        lottery_plan(data),
        lottery_comparison(mode, data),
        lottery_effect(mode, data),
        lottery_balance(mode, data),
    ]


IMPACT_CACHE_SECONDS = 24 * 3600


def data_digest() -> str:
    """A digest of everything the impact tables are computed from: any new, changed or
    deleted answer, consent, published run, place, population record or micro-internship
    changes it, so a cached report is never stale.

    Asked on every request, so each figure is one cheap query: a count of a whole table
    (SQLite counts without reading the rows) or the largest value of an indexed column (one
    index lookup). Nothing here aggregates two columns of a large table in one query,
    which would read every row."""
    published = SelectionRun.objects.filter(kind=RunKind.PUBLISHED)
    withdrawn = ResearchConsent.objects.filter(withdrawn_at__isnull=False)
    parts = [
        *_count_and_largest(Answer.objects, "pk"),
        *_count_and_largest(ResearchConsent.objects, "pk"),
        *_count_and_largest(withdrawn, "withdrawn_at"),
        *_count_and_largest(published, "pk"),
        *_count_and_largest(ExpressionOfInterest.objects, "state_changed_at"),
        *_count_and_largest(PopulationRecord.objects, "updated_at"),
        MicroInternship.objects.aggregate(  # a few thousand rows at most
            n=Count("pk"), first=Min("starts_at"), last=Max("starts_at"), top=Max("pk")
        ),
        InstrumentVersion.objects.count(),
        list(  # the analysis plans the lottery comparison is checked against (few rows)
            SelectionRound.objects.order_by("pk").values_list(
                "pk", "commitment", "analysis_plan", "closed_at"
            )
        ),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _count_and_largest(rows, field: str) -> tuple:
    """How many ``rows`` there are and the largest ``field`` among them, in two queries
    (each answered from an index)."""
    return rows.count(), rows.aggregate(top=Max(field))["top"]


def cached_impact_tables(mode: OutputMode, year: AcademicYear | None = None) -> list[DisplayTable]:
    """:func:`impact_tables`, cached under a key made of the mode, the year and
    :func:`data_digest` (the permutation tests are the slow part; the data rarely changes)."""
    key = f"impact-tables:{mode.name}:{year or 'all'}:{data_digest()}"
    tables = cache.get(key)
    if tables is None:
        tables = impact_tables(mode, year)
        cache.set(key, tables, IMPACT_CACHE_SECONDS)
    return tables


def _micro_internships_of(year: AcademicYear) -> list[int]:
    return list(
        MicroInternship.objects.filter(
            starts_at__gte=year.starts, starts_at__lt=year.ends
        ).values_list("pk", flat=True)
    )


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
    answers = (
        only_consenting(Answer.objects, "response__invitation__student")
        .filter(
            response__version__instrument__kind__in=[
                InstrumentKind.STUDENT_PRE,
                InstrumentKind.STUDENT_POST,
            ],
            number__isnull=False,
        )
        .exclude(item__scale="")
    )
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


def _published_runs(year: AcademicYear | None) -> list[tuple[int, dict, dict]]:
    """(round id, inputs, result) of every published run, oldest first (of ``year``'s rounds)."""
    runs = SelectionRun.objects.filter(kind=RunKind.PUBLISHED).order_by("created_at", "pk")
    if year is not None:
        runs = runs.filter(
            round__in=RoundMicroInternship.objects.filter(
                micro_internship__starts_at__gte=year.starts,
                micro_internship__starts_at__lt=year.ends,
            ).values("round")
        )
    return list(runs.values_list("round", "inputs", "result"))


BASELINE = {
    "first_in_family": "First in family to go to university",
    "care_experienced": "Care experienced",
    "imd_low": "Home area in IMD quintile 1 or 2",
    "carer": "Carer",
    "commuter": "Commuter student",
}


@dataclass(frozen=True)
class LotteryData:
    """Everything the lottery tables show, from applicants whose consent is in force."""

    applicants: list[lottery.Applicant]
    later_offered: set[str]
    """Student numbers not offered at the draw but offered a place later (waiting list)."""
    outcomes: dict[str, dict[str, int]]
    """Item code ("applied", "secured") → {student number: 0/1} from this round's follow-up."""
    baseline: dict[str, dict[str, bool | None]]
    drawn: int = 0
    """Applicants the draw decided about before the consent rule (never shown: it only says
    why the comparison is empty)."""


def lottery_data(year: AcademicYear | None = None) -> LotteryData:
    """The applicants the draw decided about (see ``surveys.lottery``), limited by the consent
    rule, with this round's follow-up outcomes, later offers and baseline characteristics."""
    drawn = lottery.drawn_applicants(_published_runs(year))
    students = dict(
        only_consenting(Student.objects, "pk")
        .filter(student_number__in=[a.student for a in drawn])
        .values_list("student_number", "pk")
    )
    applicants = [a for a in drawn if a.student in students]
    places = {
        reference: (pk, str(AcademicYear.containing(starts)))
        for reference, pk, starts in MicroInternship.objects.filter(
            reference__in={a.place for a in applicants}
        ).values_list("reference", "pk", "starts_at")
    }
    applicants = [a for a in applicants if a.place in places]
    wanted = {(students[a.student], places[a.place][0]): a.student for a in applicants}
    outcomes: dict[str, dict[str, int]] = {"applied": {}, "secured": {}}
    for student, mi, code, number in (
        Answer.objects.filter(
            item__code__in=list(outcomes),
            response__invitation__student__in=list(students.values()),
            response__version__instrument__kind=InstrumentKind.FOLLOW_UP,
            number__isnull=False,
        )
        .order_by("-response__submitted_at", "-pk")
        .values_list(
            "response__invitation__student", "response__micro_internship", "item__code", "number"
        )
    ):
        number_of = wanted.get((student, mi))
        if number_of is not None:
            outcomes[code][number_of] = 1 if number else 0
    not_offered = {students[a.student]: a for a in applicants if not a.offered}
    later = {
        not_offered[pk].student
        for pk, round_id in ExpressionOfInterest.objects.filter(
            student__in=list(not_offered), state__in=AFTER_AN_OFFER
        ).values_list("student", "micro_internship__rounds")
        if pk in not_offered and not_offered[pk].stratum[0] == round_id
    }
    baseline = _baseline(applicants, students, places)
    return LotteryData(applicants, later, outcomes, baseline, drawn=len(drawn))


def _baseline(applicants, students: dict, places: dict) -> dict:
    """Each applicant's year-of-record flags: their population record of the academic year
    of the micro-internship the comparison is about (unknown without one)."""
    year_of = {a.student: places[a.place][1] for a in applicants}
    number_of = {pk: number for number, pk in students.items()}
    baseline: dict[str, dict[str, bool | None]] = {}
    for pk, year, family, care, imd, carer, commuter in PopulationRecord.objects.filter(
        student__in=list(number_of), academic_year__in=set(year_of.values())
    ).values_list(
        "student",
        "academic_year",
        "first_in_family",
        "care_experienced",
        "imd_quintile",
        "carer",
        "commuter",
    ):
        number = number_of[pk]
        if year_of[number] == year:
            baseline[number] = {
                "first_in_family": family,
                "care_experienced": care,
                "imd_low": None if imd is None else imd <= 2,
                "carer": carer,
                "commuter": commuter,
            }
    return baseline


def analysis_plans(round_ids) -> list[lottery.PlanCheck]:
    """For each round (oldest first): does the comparison follow the analysis plan the round
    fingerprinted before its first seal? (:func:`lottery.check_plan`, from the round and its
    log.)"""
    rounds = list(
        SelectionRound.objects.filter(pk__in=list(round_ids)).order_by("created_at", "pk")
    )
    history: dict[str, list] = defaultdict(list)
    for object_id, action, data, created_at in (
        ActivityLog.objects.filter(
            content_type=ContentType.objects.get_for_model(SelectionRound),
            object_id__in=[str(r.pk) for r in rounds],
            action__in=[*lottery.COMMITTING_ACTIONS, lottery.SEALED],
        )
        .order_by("created_at", "pk")
        .values_list("object_id", "action", "data", "created_at")
    ):
        history[object_id].append((action, data, f"{timezone.localtime(created_at):%-d %B %Y}"))
    return [
        lottery.check_plan(
            round_name=r.name,
            plan=r.analysis_plan,
            seed_sha256=r.seed_commitment,
            policy=r.policy,
            fingerprint=r.commitment,
            history=history[str(r.pk)],
        )
        for r in rounds
    ]


def _plans_of(data: LotteryData) -> list[lottery.PlanCheck]:
    return analysis_plans({a.stratum[0] for a in data.applicants})


NO_ROUND_YET = "Exploratory, not confirmatory: no round in the comparison yet"


def _verdict(data: LotteryData) -> tuple[bool, str]:
    """`lottery.plan_verdict` of the rounds compared; when none is, the sentence says why:
    no published draw has decided between applicants alike yet, or it has but none of
    those applicants has research consent in force."""
    plans = _plans_of(data)
    if plans:
        return lottery.plan_verdict(plans)
    if data.drawn:
        return False, (
            f"{NO_ROUND_YET}: no consenting students in a published round yet. A published "
            "draw decided between applicants, but none of them has research consent in force, "
            "and only students whose consent is in force are compared."
        )
    return False, (
        f"{NO_ROUND_YET}: no published draw has decided between applicants alike yet (the "
        "same oversubscribed first choice and priority group, some offered a place and some "
        "not)."
    )


def _public_pages(data: LotteryData) -> dict[str, str]:
    rounds = SelectionRound.objects.filter(pk__in={a.stratum[0] for a in data.applicants})
    return {r.commitment: absolute(reverse("public:selection_round", args=[r.pk])) for r in rounds}


def lottery_plan(data: LotteryData) -> DisplayTable:
    """Which pre-registered analysis plan the lottery comparison follows, round by round."""
    plans = _plans_of(data)
    pages = _public_pages(data)
    _, verdict = _verdict(data)
    return DisplayTable(
        "lottery_plan",
        "Analysis plan the lottery comparison follows",
        ["Round", "Status", "Fingerprint (SHA-256)", "Plan published at", "Why"],
        [
            [
                p.round_name,
                "Confirmatory" if p.confirmatory else "Exploratory",
                p.fingerprint,
                pages.get(p.fingerprint, ""),
                p.reason,
            ]
            for p in plans
        ],
        f"{verdict} Each round's public page shows its analysis plan with the fingerprint "
        "that binds it to the seed and the policy, and its audit file lets anyone recompute "
        "the fingerprint. A plan changed after the round was sealed makes the comparison "
        "exploratory, whatever its p-values.",
    )


def _enough(mode: OutputMode, *denominators: int) -> bool:
    """Percentages and statistics need every denominator ≥ 22.5 people (unless restricted)."""
    return mode.restricted or all(d >= HESA_MIN_PERCENTAGE_POPULATION for d in denominators)


def _signed_pct(value: float | None) -> str:
    return SUPPRESSED if value is None else f"{100 * value:+.1f}"


def lottery_comparison(mode: OutputMode, data: LotteryData | None = None) -> DisplayTable:
    """Follow-up outcomes ("applied for / secured a placement, internship or job") of
    applicants offered and not offered a place at the draw, within decided strata."""
    data = lottery_data() if data is None else data
    table = []
    for label, offered in (
        ("Offered a place at the draw", True),
        ("Not offered at the draw", False),
    ):
        arm = [a.student for a in data.applicants if a.offered == offered]
        line = [label, protect_count(len(arm), mode).display]
        for code in ("applied", "secured"):
            given = [data.outcomes[code][s] for s in arm if s in data.outcomes[code]]
            line += [
                protect_count(len(given), mode).display,
                protect_percentage(sum(given), len(given), mode).display,
            ]
        table.append(line)
    confirmatory, verdict = _verdict(data)
    promoted = protect_count(len(data.later_offered), mode).display
    table.append(["… of whom offered a place later from a waiting list", promoted, "", "", "", ""])
    return DisplayTable(
        "lottery",
        "Follow-up outcomes: offered vs not offered at the draw (intention to treat, "
        f"{'confirmatory' if confirmatory else 'exploratory'})",
        [
            "Group",
            "Applicants",
            "Answered (applied)",
            "Applied for a role",
            "Answered (secured)",
            "Secured a role",
        ],
        table,
        f"{verdict} Only applicants whose place the seeded draw decided: within one round, "
        "the same first-choice micro-internship (oversubscribed) and the same priority group, "
        "where some were offered a place and some were not. Offered means offered at the draw; "
        "students offered a place later from a waiting list stay in the not-offered group "
        "(intention to treat) and are counted on the last line. The outcome is the answer to "
        "the follow-up 8–12 weeks after that micro-internship (sent to both groups), and only "
        "students whose research consent is in force are included. Caveats: answering is "
        "voluntary and may differ between the groups; not-offered students may take part in "
        "a later round; small numbers are suppressed. This is the basis of TASO type 3 "
        "(causal) evidence; pre/post change above is type 2.",
    )


def lottery_effect(mode: OutputMode, data: LotteryData | None = None) -> DisplayTable:
    """The Mantel–Haenszel risk difference per outcome, its interval, test and the minimum
    detectable effect at the current size."""
    data = lottery_data() if data is None else data
    confirmatory, verdict = _verdict(data)
    rows = []
    for code, label in (("applied", "Applied for a role"), ("secured", "Secured a role")):
        strata = lottery.outcome_strata(data.applicants, data.outcomes[code])
        result = lottery.mantel_haenszel_risk_difference(strata)
        n_1 = sum(s.n_1 for s in strata)
        n_0 = sum(s.n_0 for s in strata)
        shown = result.estimate is not None and _enough(mode, n_1, n_0)
        rows.append(
            [
                label,
                str(result.strata),
                _signed_pct(result.estimate if shown else None),
                f"{_signed_pct(result.low)} to {_signed_pct(result.high)}" if shown else SUPPRESSED,
                _p(result.p_value) if shown and result.p_value is not None else SUPPRESSED,
                f"{100 * result.minimum_detectable:.1f}" if shown else SUPPRESSED,
            ]
        )
    return DisplayTable(
        "lottery_effect",
        "Effect of being offered a place (stratified risk difference, "
        f"{'confirmatory' if confirmatory else 'exploratory'})",
        [
            "Outcome",
            "Strata",
            "Difference (points)",
            "95% interval",
            "p (CMH)",
            "Detectable (points)",
        ],
        rows,
        f"{verdict} Mantel–Haenszel risk difference, offered minus not offered at the draw, in "
        "percentage points, pooled over the strata (Sato's variance, normal interval); p from "
        "the Cochran–Mantel–Haenszel test of no difference. 'Detectable' is the smallest true "
        "difference these numbers would detect with 80% power (two-sided, 5%). Figures are "
        "suppressed while either group has fewer than 23 answers.",
    )


def lottery_balance(mode: OutputMode, data: LotteryData | None = None) -> DisplayTable:
    """Baseline characteristics (student record, not special-category) of the two arms."""
    data = lottery_data() if data is None else data
    rows = []
    for row in lottery.balance(data.applicants, data.baseline):
        both = _enough(mode, row.known_1, row.known_0)
        d = row.standardised_difference
        rows.append(
            [
                BASELINE.get(row.characteristic, row.characteristic),
                protect_percentage(row.yes_1, row.known_1, mode).display,
                protect_percentage(row.yes_0, row.known_0, mode).display,
                f"{d:+.2f}" if both and d is not None else SUPPRESSED,
            ]
        )
    return DisplayTable(
        "lottery_balance",
        "Baseline balance: offered vs not offered at the draw",
        ["Characteristic", "Offered", "Not offered", "Standardised difference"],
        rows,
        "From the student record, among applicants in the comparison whose value is known. A "
        "fair draw gives similar shares; a standardised difference beyond ±0.10 is worth a "
        "look (the draw was within priority groups, so groups used for priority can differ "
        "across strata but not within them).",
    )


HOST_LABELS = {
    "host_value": "Value of the recommendations (1–5)",
    "host_hours": "Staff hours given",
    "host_again": "Likelihood of hosting again (0–10)",
    "host_students_view": "What students can offer, rated against before the day (1–5)",
    "host_view": "Changed view of under-represented students (1–5; earlier, leading wording)",
}


def _host_answers(micro_internship_ids):
    answers = Answer.objects.filter(response__version__instrument__kind=InstrumentKind.HOST)
    if micro_internship_ids is not None:
        answers = answers.filter(response__micro_internship__in=micro_internship_ids)
    return answers


def host_outcomes(mode: OutputMode, micro_internship_ids=None) -> DisplayTable:
    values: dict = defaultdict(list)
    for code, number in (
        _host_answers(micro_internship_ids)
        .filter(
            item__code__in=list(HOST_LABELS),
            number__isnull=False,
        )
        .values_list("item__code", "number")
    ):
        values[code].append(number)
    rows = []
    for code, label in HOST_LABELS.items():
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


def host_themes(mode: OutputMode, micro_internship_ids=None) -> DisplayTable:
    comments = list(
        _host_answers(micro_internship_ids)
        .filter(item__code="host_comments")
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
