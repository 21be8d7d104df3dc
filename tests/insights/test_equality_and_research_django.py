"""Equality monitoring (optional, separate, deletable, never used for decisions) and research
consent (the research files themselves: test_research_export_django)."""

import re
from pathlib import Path

import pytest

from microintern.core.models import ActivityLog
from microintern.insights import domain
from microintern.insights.models import EqualityMonitoring, ResearchConsent
from tests.accounts.factories import StudentFactory

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
    page = client.get("/my/research-consent/").content.decode()
    assert "your broad ethnic group and whether you are disabled" in page
    assert "Consent wording version 2026-2" in page
    client.post("/my/research-consent/", {"consent": "on", "quotes": "on"})
    consent = ResearchConsent.objects.get(student=student)
    assert consent.quotes and not consent.equality and consent.withdrawn_at is None
    assert consent.wording_version == "2026-2"
    response = client.post("/my/research-consent/withdraw/", follow=True)
    assert "will not be in any later export" in response.content.decode()
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
