"""One consent rule (insights.consent): withdrawing research consent removes the student
from every output built from survey answers — the impact page, its downloads, the PDF,
quotes and follow-up invitations and reminders. The research files and the lottery
comparison have their own withdrawal tests (test_research_export_django, test_lottery)."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from microintern.applications.enums import PlaceState
from microintern.insights import domain as insights_domain
from microintern.insights.disclosure import OutputMode
from microintern.mail.models import OutboundMessage
from microintern.surveys import domain
from microintern.surveys.enums import InstrumentKind
from microintern.surveys.models import Invitation
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
