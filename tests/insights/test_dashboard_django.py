"""Dashboard figures against hand counts and independently computed reference values."""

import csv
import io
import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from microintern.insights import queries
from microintern.insights.academic_year import AcademicYear
from tests.accounts.factories import sign_in

pytestmark = pytest.mark.django_db
STAGES = ["eligible", "interested", "offered", "accepted", "attended", "feedback"]


def wilson(x: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval by its textbook formula (independent of statsmodels)."""
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def counts(rows):
    return {row["g0"]: [row[s] for s in STAGES] for row in rows}


def test_funnel_counts_match_hand_counts(funnel_world):
    filters = queries.Filters(AcademicYear(2026))
    assert counts(queries.funnel(filters, "imd")) == {
        "Q1": [30, 12, 6, 5, 4, 0],
        "Q5": [30, 20, 10, 9, 8, 3],
    }


def test_sector_filter_limits_the_stages_but_not_the_eligible(funnel_world):
    filters = queries.Filters(AcademicYear(2026), sector="Arts")
    assert counts(queries.funnel(filters, "imd")) == {
        "Q1": [30, 0, 0, 0, 0, 0],
        "Q5": [30, 10, 10, 9, 8, 3],
    }
    school = queries.Filters(AcademicYear(2026), school="School of Arts")
    assert counts(queries.funnel(school, "imd")) == {"Q1": [30, 12, 6, 5, 4, 0]}


def test_pair_and_school_breakdowns(funnel_world):
    filters = queries.Filters(AcademicYear(2026))
    rows = queries.funnel(filters, "imd", "school")
    assert {(r["g0"], r["g1"]): r["attended"] for r in rows} == {
        ("Q1", "School of Arts"): 4,
        ("Q5", "Business School"): 8,
    }
    assert queries.collapse(rows) == queries.funnel(filters, "imd")


def test_query_count_is_constant(funnel_world, client, make_user):
    sign_in(client, make_user("researcher"))
    with CaptureQueriesContext(connection) as small:
        client.get("/insights/?year=2026/27&second=school")
    from microintern.insights.models import PopulationRecord
    from tests.accounts.factories import StudentFactory

    for _ in range(40):
        PopulationRecord.objects.create(
            student=StudentFactory(), academic_year="2026/27", imd_quintile=3
        )
    with CaptureQueriesContext(connection) as large:
        client.get("/insights/?year=2026/27&second=school")
    assert len(small) == len(large)


def test_dashboard_rounds_for_researchers_and_shows_reference_intervals(
    funnel_world, client, make_user
):
    sign_in(client, make_user("researcher"))
    response = client.get("/insights/?year=2026/27")
    funnel = next(t for t in response.context["tables"] if t.key == "funnel")
    rows = {row[0]: row for row in funnel.rows}
    # 30, 12, 6, 5, 4, 0 → 30, 10, 5, 5, 5, 0 under HESA rounding; and Q5's 8 attendees
    # would print as 10. With the total's 10 (12 exactly), a reader could then tell that
    # Q1 + Q5 is at least 3 + 8 = 11: the total is 11 or 12 and Q1 is 3 or 4. The smaller
    # count of that line is hidden (Q1's), and between its printed stages (5 accepted, 0 with
    # feedback) it could be anything from 0 to 7.
    assert rows["Q1"][1:7] == ["30", "10", "5", "5", "..", "0"]
    assert rows["Q1"][7] == ".."
    assert rows["Q5"][1:7] == ["30", "20", "10", "10", "10", "5"]
    assert [rows[g][1] for g in ("Q2", "Q3", "Q4", "Unknown")] == ["0"] * 4  # every group shown
    # Reach is computed from the published counts (10 of 30), never from the exact 8 of 30,
    # so it says nothing the rounded counts do not.
    low, high = wilson(10, 30)
    assert rows["Q5"][7] == "33.3%"
    assert rows["Q5"][8] == f"{100 * low:.1f}%–{100 * high:.1f}%"
    low, high = wilson(10, 60)
    assert rows["All students"][1] == "60" and rows["All students"][5] == "10"
    assert rows["All students"][7] == "16.7%"
    assert rows["All students"][8] == f"{100 * low:.1f}%–{100 * high:.1f}%"
    # Representation ratio at "interested", from published counts: (10/30) ÷ (30/60) = 0.67.
    # At "attended" the stage total (10) is under 25, so the ratio is suppressed.
    representation = next(t for t in response.context["tables"] if t.key == "representation")
    q1 = {row[0]: row for row in representation.rows}["Q1"]
    assert q1[2] == f"{(10 / 30) / 0.5:.2f}"
    assert q1[8] == ".."
    assert "Counts rounded to the nearest 5" in response.content.decode()
    assert 'role="img"' in response.content.decode()


def test_administrator_may_see_unrounded_figures_clearly_marked(funnel_world, client, make_user):
    sign_in(client, make_user("administrator"))
    response = client.get("/insights/?year=2026/27&unrounded=on")
    funnel = next(t for t in response.context["tables"] if t.key == "funnel")
    assert {row[0]: row for row in funnel.rows}["Q1"][1:7] == ["30", "12", "6", "5", "4", "0"]
    assert "Restricted:" in response.content.decode()


def test_researcher_cannot_ask_for_unrounded_figures(funnel_world, client, make_user):
    sign_in(client, make_user("researcher"))
    response = client.get("/insights/?year=2026/27&unrounded=on")
    funnel = next(t for t in response.context["tables"] if t.key == "funnel")
    assert {row[0]: row for row in funnel.rows}["Q1"][2] == "10"


def test_gap_and_fisher_against_independent_reference(funnel_world, client, make_user):
    from scipy.stats import fisher_exact
    from statsmodels.stats.proportion import confint_proportions_2indep

    sign_in(client, make_user("administrator"))
    response = client.get("/insights/?year=2026/27&unrounded=on")
    tables = {t.key: t for t in response.context["tables"]}
    gap = {row[0]: row for row in tables["gaps"].rows}["Q1"]
    low, high = confint_proportions_2indep(4, 30, 8, 30, method="newcomb", compare="diff")
    assert gap[1] == f"{100 * (4 / 30 - 8 / 30):+.1f} points"
    assert gap[2] == f"{100 * low:+.1f} to {100 * high:+.1f}"
    conversion = [r for r in tables["conversion"].rows if r[0] == "Eligible → Interested"]
    q1 = {r[1]: r for r in conversion}["Q1"]
    _, p = fisher_exact([[12, 18], [20, 10]])
    tests_shown = int(
        tables["conversion"].note.split("every test in this table (")[1][:2].rstrip(")")
    )
    # Holm across every test the table shows; this is the smallest p, so × the family size
    assert q1[7] == f"{min(1.0, tests_shown * p):.3f}"
    assert q1[4] == f"{(12 / 30) / (20 / 30):.2f}"
    assert q1[5] == "Below 0.8, within uncertainty"


def test_csv_and_xlsx_exports_carry_the_displayed_figures(funnel_world, client, make_user):
    sign_in(client, make_user("researcher"))
    response = client.get("/insights/export/funnel.csv?year=2026/27")
    assert response["Content-Disposition"].startswith('attachment; filename="microintern-funnel')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1] == ["Counts rounded to the nearest 5; small populations suppressed (HESA rules)"]
    assert next(r for r in rows if r[:1] == ["Q1"])[:7] == ["Q1", "30", "10", "5", "5", "..", "0"]
    response = client.get("/insights/export/all.xlsx?year=2026/27")
    workbook = load_workbook(io.BytesIO(response.content))
    assert {"funnel", "representation", "conversion", "gaps", "stratified", "disclosure"} <= set(
        workbook.sheetnames
    )
    values = list(workbook["funnel"].iter_rows(values_only=True))
    assert next(v for v in values if v[0] == "Q1")[:7] == ("Q1", 30, 10, 5, 5, "..", 0)
    assert client.get("/insights/export/nothing.csv").status_code == 404


def test_equality_characteristics_and_disclosure_rates(funnel_world):
    from microintern.insights.domain import save_equality_answers

    for student in funnel_world["q1"][:4]:
        save_equality_answers(student, {"ethnicity": "101", "disability_codes": ["51"]})
    save_equality_answers(funnel_world["q5"][0], {"ethnicity": "998", "parental_education": "97"})
    filters = queries.Filters(AcademicYear(2026))
    by_ethnicity = counts(queries.funnel(filters, "ethnicity"))
    assert by_ethnicity["Asian or Asian British"] == [4, 4, 4, 3, 2, 0]
    assert by_ethnicity["Unknown"] == [56, 28, 12, 11, 10, 3]
    assert counts(queries.funnel(filters, "disability"))["Disabled"] == [4, 4, 4, 3, 2, 0]
    rates = queries.disclosure_counts(filters)
    assert (rates["ethnicity__answered"], rates["ethnicity__prefer_not_to_say"]) == (4, 1)
    assert (rates["parental_education__answered"], rates["parental_education__dont_know"]) == (
        0,
        1,
    )
    assert rates["disability_codes__answered"] == 4


def test_day_feedback_also_counts_as_feedback_with_consent(funnel_world):
    from django.utils import timezone

    from microintern.insights.domain import give_research_consent, withdraw_research_consent
    from microintern.surveys.models import DayFeedback

    attended = funnel_world["q1"][2].interests.get()
    DayFeedback.objects.create(interest=attended, rating=5, submitted_at=timezone.now())
    filters = queries.Filters(AcademicYear(2026))
    assert counts(queries.funnel(filters, "imd"))["Q1"] == [30, 12, 6, 5, 4, 0]
    give_research_consent(attended.student, quotes=False)
    assert counts(queries.funnel(filters, "imd"))["Q1"] == [30, 12, 6, 5, 4, 1]
    withdraw_research_consent(attended.student)
    assert counts(queries.funnel(filters, "imd"))["Q1"] == [30, 12, 6, 5, 4, 0]


def test_a_filter_that_leaves_one_micro_internship_shows_the_reason_not_figures(
    funnel_world, client, make_user
):
    sign_in(client, make_user("researcher"))
    response = client.get("/insights/?year=2026/27&sector=Arts")  # only micro-internship B
    assert response.context["tables"] == []
    assert "fewer than 3 micro-internships" in response.content.decode()
    download = client.get("/insights/export/funnel.csv?year=2026/27&sector=Arts")
    assert download.status_code == 409
    assert "fewer than 3 micro-internships" in download.content.decode()


def test_a_school_filter_prints_what_the_whole_year_prints_for_that_school(
    funnel_world, client, make_user
):
    sign_in(client, make_user("researcher"))
    whole = client.get("/insights/?year=2026/27&second=school")
    pair = next(t for t in whole.context["tables"] if t.key == "pair")
    column = {row[0]: row[2:8] for row in pair.rows if row[1] == "Business School"}
    one_school = client.get("/insights/?year=2026/27&school=Business School&second=carer")
    funnel = next(t for t in one_school.context["tables"] if t.key == "funnel")
    assert {row[0]: row[1:7] for row in funnel.rows[:-1]} == column
    assert not any(t.key in ("pair", "stratified") for t in one_school.context["tables"])
    assert "without a second characteristic" in one_school.content.decode()


def test_every_unrounded_view_and_download_is_logged(funnel_world, client, make_user):
    from microintern.core.models import ActivityLog

    admin = make_user("administrator")
    sign_in(client, admin)
    client.get("/insights/?year=2026/27")
    assert not ActivityLog.objects.filter(action="insights.unrounded_view").exists()
    client.get("/insights/?year=2026/27&unrounded=on")
    client.get("/insights/export/funnel.csv?year=2026/27&unrounded=on")
    logged = ActivityLog.objects.filter(action="insights.unrounded_view").order_by("pk")
    assert [entry.data["what"] for entry in logged] == ["dashboard", "funnel.csv"]
    assert all(entry.actor == admin for entry in logged)
