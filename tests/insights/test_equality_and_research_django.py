"""Equality monitoring (optional, separate, deletable, never used for decisions) and the
pseudonymised research export (consenting students only, keyed hash, coarsened)."""

import csv
import hashlib
import hmac
import io
import re
from pathlib import Path

import pytest

from microintern.applications.enums import PlaceState
from microintern.core.models import ActivityLog
from microintern.insights import domain
from microintern.insights.models import EqualityMonitoring, ResearchConsent
from tests.accounts.factories import StudentFactory, sign_in
from tests.applications.factories import ExpressionOfInterestFactory

pytestmark = pytest.mark.django_db
SRC = Path(__file__).resolve().parents[2] / "src" / "microintern"


def test_selection_and_applications_code_never_reads_equality_data():
    """DPA 2018 Sch. 1 para 8(3): special-category data may not inform decisions."""
    forbidden = re.compile(r"equality_monitoring|EqualityMonitoring|insights\.(models|queries)")
    offenders = [
        str(path.relative_to(SRC))
        for folder in ("selection", "applications")
        for path in (SRC / folder).rglob("*.py")
        if forbidden.search(path.read_text())
    ]
    assert offenders == []


def test_every_question_offers_prefer_not_to_say_and_answers_are_optional(client):
    student = StudentFactory(with_user=True)
    client.force_login(student.user)
    page = client.get("/my/equality-monitoring/").content.decode()
    assert page.count(">Prefer not to say</label>") == len(EqualityMonitoring.FIELD_FRAMES)
    assert "Not available" not in page and "Not known" not in page
    response = client.post("/my/equality-monitoring/", {"ethnicity": "998"}, follow=True)
    assert "Your answers are saved" in response.content.decode()
    answers = EqualityMonitoring.objects.get(student=student)
    assert (answers.ethnicity, answers.sex, answers.disability_codes) == ("998", "", "")


def test_answers_are_coded_to_hesa_and_the_log_holds_no_answer(client):
    student = StudentFactory(with_user=True)
    client.force_login(student.user)
    client.post(
        "/my/equality-monitoring/",
        {"ethnicity": "120", "disability_codes": ["51", "55"], "parental_education": "02"},
    )
    answers = EqualityMonitoring.objects.get(student=student)
    assert answers.disability_codes == "51,55" and answers.disability_group == "Disabled"
    entry = ActivityLog.objects.get(action="equality.answered")
    assert entry.data == {}


def test_provider_only_codes_and_contradictions_are_refused(client):
    student = StudentFactory(with_user=True)
    client.force_login(student.user)
    response = client.post("/my/equality-monitoring/", {"ethnicity": "999"})
    assert "Select a valid choice" in response.content.decode()
    response = client.post("/my/equality-monitoring/", {"disability_codes": ["95", "51"]})
    assert "on its own" in response.content.decode()
    assert not EqualityMonitoring.objects.exists()


def test_a_student_can_delete_their_answers(client):
    student = StudentFactory(with_user=True)
    domain.save_equality_answers(student, {"ethnicity": "160"})
    client.force_login(student.user)
    response = client.post("/my/equality-monitoring/delete/", follow=True)
    assert "have been deleted" in response.content.decode()
    assert not EqualityMonitoring.objects.filter(student=student).exists()


def test_consent_can_be_given_and_withdrawn(client):
    student = StudentFactory(with_user=True)
    client.force_login(student.user)
    client.post("/my/research-consent/", {"consent": "on", "quotes": "on"})
    consent = ResearchConsent.objects.get(student=student)
    assert consent.quotes and consent.withdrawn_at is None
    response = client.post("/my/research-consent/withdraw/", follow=True)
    assert "will not be in any later export" in response.content.decode()
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None


def _row_for(rows, pid):
    return [r for r in rows if r["pid"] == pid]


def test_research_export_has_consenting_students_only_with_keyed_pseudonyms(
    client, make_user, settings
):
    settings.MICROINTERN_RESEARCH_KEY = "k" * 32
    consenting = ExpressionOfInterestFactory(
        state=PlaceState.ATTENDED, verified_at="2026-10-01T10:00Z"
    )
    domain.give_research_consent(consenting.student, quotes=False)
    domain.save_equality_answers(consenting.student, {"ethnicity": "101"})
    never = ExpressionOfInterestFactory(verified_at="2026-10-01T10:00Z")
    withdrawn = ExpressionOfInterestFactory(verified_at="2026-10-01T10:00Z")
    domain.give_research_consent(withdrawn.student, quotes=True)
    domain.withdraw_research_consent(withdrawn.student)

    sign_in(client, make_user("researcher"))
    response = client.get("/insights/research-export.csv")
    text = response.content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    expected_pid = hmac.new(
        b"k" * 32, consenting.student.student_number.encode(), hashlib.sha256
    ).hexdigest()
    assert [r["pid"] for r in rows] == [expected_pid]
    assert rows[0]["ethnic_group"] == "Asian or Asian British"
    assert rows[0]["host_sector"] == consenting.micro_internship.challenge.organisation.sector
    assert re.fullmatch(r"(Autumn|Spring|Summer) \d{4}/\d{2}", rows[0]["term"])
    for student in (consenting.student, never.student, withdrawn.student):
        assert student.student_number not in text
        assert student.email not in text and student.full_name not in text


def test_research_export_refuses_without_a_key(client, make_user, settings):
    settings.MICROINTERN_RESEARCH_KEY = ""
    sign_in(client, make_user("researcher"))
    response = client.get("/insights/research-export.csv")
    assert response.status_code == 503
    assert "MICROINTERN_RESEARCH_KEY" in response.content.decode()


def test_staff_may_not_download_the_research_export(client, make_user):
    sign_in(client, make_user("staff"))
    assert client.get("/insights/research-export.csv").status_code == 403


def test_survey_answers_for_research_only_from_consenting_students_and_no_free_text(
    client, make_user, settings
):
    from microintern.surveys.domain import invite, record_response
    from microintern.surveys.enums import InstrumentKind

    settings.MICROINTERN_RESEARCH_KEY = "k" * 32
    consenting, other = StudentFactory(), StudentFactory()
    domain.give_research_consent(consenting, quotes=True)
    for student in (consenting, other):
        record_response(
            invite(InstrumentKind.STUDENT_POST, student=student),
            {"caas_concern_1": 4, "open_learned": "My tutor Dr Jones helped"},
        )
    sign_in(client, make_user("researcher"))
    text = client.get("/insights/research-export-surveys.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    pid = hmac.new(b"k" * 32, consenting.student_number.encode(), hashlib.sha256).hexdigest()
    assert [(r["pid"], r["item"], r["answer"]) for r in rows] == [(pid, "caas_concern_1", "4")]
    assert "Jones" not in text and other.student_number not in text
