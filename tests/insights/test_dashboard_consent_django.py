"""The consent rule on the dashboard: a student who withdraws research consent no longer
counts in "gave feedback" on any output — the page, its charts, each CSV, the XLSX and the
headline funnel of the annual PDF.

Each test is written as a sceptic would: take every figure with the student's consent in
force, withdraw it, then build the world in which that student never answered at all. The
output after withdrawal must be the output of that world, character for character, and
(where the output shows feedback at all) differ from the one before.

World (tests/insights/conftest.py): Q5 has 3 consenting students who answered the
end-of-day survey; one of them withdraws.
"""

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from microintern.insights.disclosure import OutputMode
from microintern.insights.domain import withdraw_research_consent
from microintern.surveys.models import Invitation
from microintern.surveys.report_pdf import report_content
from tests.accounts.factories import sign_in

pytestmark = pytest.mark.django_db

BASE = "year=2026/27&characteristic=imd&second=school"
MODES = {"rounded": ("researcher", ""), "unrounded": ("administrator", "&unrounded=on")}


def _page_tables(client, query):
    page = client.get(f"/insights/?{query}").content.decode()
    return re.findall(r"<table>.*?</table>", page, re.S)


def _charts(client, query):
    page = client.get(f"/insights/?{query}").content.decode()
    charts = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(charts) == 2  # reach and representation among attendees
    return charts


def _csv(key):
    def get(client, query):
        response = client.get(f"/insights/export/{key}.csv?{query}")
        assert response.status_code == 200
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))

    return get


def _xlsx(client, query):
    response = client.get(f"/insights/export/all.xlsx?{query}")
    book = load_workbook(io.BytesIO(response.content))
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book}


OUTPUTS = {
    "page": _page_tables,
    "funnel.csv": _csv("funnel"),
    "representation.csv": _csv("representation"),
    "conversion.csv": _csv("conversion"),
    "gaps.csv": _csv("gaps"),
    "stratified.csv": _csv("stratified"),
    "pair.csv": _csv("pair"),
    "all.xlsx": _xlsx,
}
SHOWS_FEEDBACK = {
    "unrounded": {"page", "funnel", "representation", "conversion", "pair", "all"},
    "rounded": {"page", "funnel", "pair", "all"},
}
"""Outputs where the withdrawal must be visible. The gap and stratified tables use reach and
attendance only, so withdrawal must leave them as they were; rounded, the feedback ratios
and rates of so few students are suppressed both before and after."""


def _leaver(funnel_world):
    leaver = funnel_world["q5"][7]
    assert Invitation.objects.filter(student=leaver, responded_at__isnull=False).exists()
    return leaver


def _never_answered(student):
    """The world without their answer: the invitation stays unanswered."""
    Invitation.objects.filter(student=student).update(responded_at=None)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("output", OUTPUTS)
def test_withdrawal_is_as_if_the_student_never_answered(
    funnel_world, client, make_user, output, mode
):
    role, unrounded = MODES[mode]
    sign_in(client, make_user(role))
    query = BASE + unrounded
    fetch = OUTPUTS[output]
    leaver = _leaver(funnel_world)
    before = fetch(client, query)
    withdraw_research_consent(leaver)
    after = fetch(client, query)
    _never_answered(leaver)
    assert after == fetch(client, query)
    if output.split(".")[0] in SHOWS_FEEDBACK[mode]:
        assert after != before
    elif output.split(".")[0] not in SHOWS_FEEDBACK["unrounded"]:
        assert after == before


@pytest.mark.parametrize("mode", MODES)
def test_the_charts_do_not_use_survey_answers(funnel_world, client, make_user, mode):
    """The SVG charts (and their <desc>) show reach and representation among attendees:
    no survey answer reaches them, before or after withdrawal."""
    role, unrounded = MODES[mode]
    sign_in(client, make_user(role))
    query = BASE + unrounded
    leaver = _leaver(funnel_world)
    before = _charts(client, query)
    withdraw_research_consent(leaver)
    after = _charts(client, query)
    _never_answered(leaver)
    assert before == after == _charts(client, query)


def test_the_exact_figure_drops_by_the_one_who_withdrew(funnel_world, client, make_user):
    sign_in(client, make_user("administrator"))

    def q5_feedback():
        response = client.get(f"/insights/?{BASE}&unrounded=on")
        funnel = next(t for t in response.context["tables"] if t.key == "funnel")
        q5 = {row[0]: row for row in funnel.rows}["Q5"]
        return q5[funnel.header.index("Gave feedback")]

    assert q5_feedback() == "3"
    withdraw_research_consent(_leaver(funnel_world))
    assert q5_feedback() == "2"


def test_the_funnel_says_whose_feedback_counts(funnel_world, client, make_user):
    sign_in(client, make_user("researcher"))
    page = client.get(f"/insights/?{BASE}").content.decode()
    assert "“Gave feedback” counts only students whose research consent is in force" in page


@pytest.mark.parametrize("mode", [OutputMode.UNROUNDED, OutputMode.ROUNDED])
def test_the_annual_pdf_headline_funnel(funnel_world, mode):
    """The PDF's headline figures come from the same funnel (the latest year's)."""

    def headline():
        funnel = report_content(mode).funnel
        return funnel.rows[-1][funnel.header.index("Gave feedback")]

    leaver = _leaver(funnel_world)
    before = headline()
    withdraw_research_consent(leaver)
    after = headline()
    _never_answered(leaver)
    assert after == headline() != before
    if mode is OutputMode.UNROUNDED:
        assert (before, after) == ("3", "2")
