"""One consent rule (insights.consent): withdrawing research consent removes the student
from every output built from survey answers — the impact page, its downloads, the PDF,
quotes and follow-up invitations and reminders (the dashboard's "gave feedback":
tests/insights/test_dashboard_consent_django.py). The research files and the lottery
comparison have their own withdrawal tests (test_research_export_django, test_lottery)."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from microintern.applications.enums import PlaceState
from microintern.insights import domain as insights_domain
from microintern.insights.disclosure import OutputMode
from microintern.mail.models import OutboundMessage
from microintern.surveys import domain
from microintern.surveys.enums import InstrumentKind
from microintern.surveys.models import Invitation, Response
from microintern.surveys.report_pdf import annual_report, report_content
from tests.accounts.factories import StudentFactory, sign_in
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db


def _answer(invitation, score):
    items = invitation.version.items.filter(scale="self_efficacy", timing="now")
    domain.record_response(invitation, {item.code: score for item in items})


@pytest.fixture
def ten_pairs():
    """Ten consenting students with pre and post answers (2 → 3) on one day; one of them
    also agreed to quotes and wrote a comment."""
    mi = MicroInternshipFactory()
    students = []
    for i in range(10):
        student = StudentFactory()
        insights_domain.give_research_consent(student, quotes=i == 0)
        _answer(domain.invite(InstrumentKind.STUDENT_PRE, student=student, micro_internship=mi), 2)
        post = domain.invite(InstrumentKind.STUDENT_POST, student=student, micro_internship=mi)
        items = post.version.items.filter(scale="self_efficacy", timing="now")
        answers = {item.code: 3 for item in items}
        if i == 0:
            answers["open_learned"] = "Presenting was worth it"
        domain.record_response(post, answers)
        students.append(student)
    return students


def _pairs(rows) -> str | None:
    row = next(
        (r for r in rows if r[0].startswith("Confidence") and r[1] == "Before → after"), None
    )
    return row[2] if row else None


def _withdraw(students):
    for student in students:
        insights_domain.withdraw_research_consent(student)


def test_the_impact_page(client, make_user, ten_pairs):
    sign_in(client, make_user("researcher"))
    page = client.get("/insights/impact/?year=all").content.decode()
    assert '<th scope="row">Confidence' in page and "<td>10</td>" in page
    _withdraw(ten_pairs[:5])
    page = client.get("/insights/impact/?year=all").content.decode()  # the cache sees it
    assert "<td>10</td>" not in page and "<td>5</td>" in page
    _withdraw(ten_pairs[5:])
    page = client.get("/insights/impact/?year=all").content.decode()
    assert '<th scope="row">Confidence' not in page


def test_the_impact_downloads(client, make_user, ten_pairs):
    sign_in(client, make_user("researcher"))
    url = "/insights/impact/export/impact_change.csv?year=all"

    def pairs():
        rows = list(csv.reader(io.StringIO(client.get(url).content.decode("utf-8-sig"))))
        return _pairs([r for r in rows if len(r) > 2])

    assert pairs() == "10"
    _withdraw(ten_pairs)
    assert pairs() is None


def test_the_annual_pdf(ten_pairs):
    """The PDF is built from report_content: its tables and quotes."""
    content = report_content(OutputMode.UNROUNDED)
    assert _pairs(content.tables[0].rows) == "10"
    assert content.quotes == ["“Presenting was worth it” – a student"]
    _withdraw(ten_pairs)
    content = report_content(OutputMode.UNROUNDED)
    assert _pairs(content.tables[0].rows) is None and content.quotes == []
    assert annual_report(OutputMode.UNROUNDED).startswith(b"%PDF")


def test_follow_up_invitations_and_reminders(settings):
    settings.MICROINTERN = {**settings.MICROINTERN, "SURVEY_REMINDER_DAYS": 5}
    now = timezone.now()
    ten_weeks = MicroInternshipFactory(starts_at=now - timedelta(weeks=10))
    staying, leaving = (
        ExpressionOfInterestFactory(micro_internship=ten_weeks, state=PlaceState.ATTENDED)
        for _ in range(2)
    )
    for place in (staying, leaving):
        insights_domain.give_research_consent(place.student, quotes=False)
    domain.invite_due(now)
    invited = Invitation.objects.filter(version__instrument__kind=InstrumentKind.FOLLOW_UP)
    assert {i.student_id for i in invited} == {staying.student_id, leaving.student_id}
    insights_domain.withdraw_research_consent(leaving.student)
    domain.remind_due(now + timedelta(days=6))
    reminded = OutboundMessage.objects.filter(role="survey_reminder")
    assert [m.to for m in reminded] == [staying.student.email]
    # A later round of invitations does not ask them again either.
    later = MicroInternshipFactory(starts_at=now - timedelta(weeks=10))
    ExpressionOfInterestFactory(
        student=leaving.student, micro_internship=later, state=PlaceState.ATTENDED
    )
    domain.invite_due(now)
    assert not invited.filter(student=leaving.student, micro_internship=later).exists()


def _never_answered(students):
    """The world in which these students never answered a survey."""
    Response.objects.filter(invitation__student__in=students).delete()


def _xlsx(client):
    response = client.get("/insights/impact/export/all.xlsx?year=all&unrounded=on")
    book = load_workbook(io.BytesIO(response.content))
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book}


def _pdf_text(client):
    """The PDF's text as drawn (fpdf2 writes uncompressed content streams here)."""
    response = client.get("/insights/impact/report.pdf?year=all&unrounded=on")
    assert response.content.startswith(b"%PDF")
    return response.content.split(b"/CreationDate")[0]


IMPACT_OUTPUTS = {
    "page": lambda client: (
        client.get("/insights/impact/?year=all&unrounded=on").content.decode().split("<main", 1)[1]
    ),
    "impact_change.csv": lambda client: (
        client.get("/insights/impact/export/impact_change.csv?year=all&unrounded=on").content
    ),
    "all.xlsx": _xlsx,
    "report.pdf": _pdf_text,
}


@pytest.mark.parametrize("output", IMPACT_OUTPUTS)
def test_impact_withdrawal_is_as_if_they_never_answered(client, make_user, ten_pairs, output):
    """Withdraw five, then delete those five's answers: every impact output must be the
    same as after the withdrawal alone (and not the same as before it)."""
    sign_in(client, make_user("administrator"))
    fetch = IMPACT_OUTPUTS[output]
    before = fetch(client)
    _withdraw(ten_pairs[:5])
    after = fetch(client)
    _never_answered(ten_pairs[:5])
    assert after == fetch(client)
    assert after != before
