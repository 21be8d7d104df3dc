"""Every free-text field has a length limit: too much text is refused with the count and
the limit, and the page keeps what was typed."""

import ast
from pathlib import Path

import pytest
from django import forms
from django.urls import reverse

import microintern
from microintern.applications.domain import InterestRefused, record_interest
from microintern.applications.enums import PlaceState, Source
from microintern.applications.forms import InterestForm
from microintern.applications.models import ExpressionOfInterest
from microintern.hosts.enums import ChallengeState
from microintern.mail.forms import EmailTemplateForm
from microintern.mail.roles import all_roles
from microintern.programme.enums import MicroInternshipState
from microintern.programme.forms import MicroInternshipForm
from microintern.surveys.forms import ItemEditForm
from tests.accounts.factories import StudentFactory
from tests.applications.factories import ExpressionOfInterestFactory
from tests.applications.test_interest import FORM
from tests.hosts.factories import ChallengeFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db
SOURCE = Path(microintern.__file__).parent
ONE_HUGE_WORD = "a" * 1_500_000  # one "word": within the word limit, 1.5 MB


def test_a_huge_one_word_statement_is_refused_with_the_count_and_kept(client, open_mi):
    response = client.post(
        f"/my/interest/{open_mi.reference}/", {**FORM, "statement": ONE_HUGE_WORD}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert (
        "Your answer has 1500000 characters. Please shorten it to 2,000 characters or fewer."
        in page
    )
    assert ONE_HUGE_WORD in page and FORM["access_needs"] in page
    assert not ExpressionOfInterest.objects.exists()


def test_a_statement_at_the_character_limit_is_accepted(client, open_mi):
    statement = "word " * 149
    statement += "x" * (2000 - len(statement))  # 150 words, 2,000 characters
    response = client.post(f"/my/interest/{open_mi.reference}/", {**FORM, "statement": statement})
    assert response.status_code == 302 and ExpressionOfInterest.objects.count() == 1


def test_the_domain_refuses_a_huge_web_statement_too(open_mi):
    with pytest.raises(InterestRefused, match="2,000 characters or fewer"):
        record_interest(StudentFactory(), open_mi, statement=ONE_HUGE_WORD, source=Source.WEB)
    assert not ExpressionOfInterest.objects.exists()


def test_an_emailed_huge_statement_is_kept_whole_and_flagged(open_mi):
    interest = record_interest(
        StudentFactory(), open_mi, statement=ONE_HUGE_WORD, source=Source.EMAIL
    )
    assert interest.statement == ONE_HUGE_WORD and interest.statement_over_limit


def test_huge_access_needs_are_refused_with_the_count(client, open_mi):
    needs = "ramp " * 1000
    page = client.post(
        f"/my/interest/{open_mi.reference}/", {**FORM, "access_needs": needs}
    ).content.decode()
    assert "Please keep this to 1,000 characters or fewer (it has 4999)." in page
    assert needs.strip() in page and not ExpressionOfInterest.objects.exists()


def _place():
    interest = ExpressionOfInterestFactory(state=PlaceState.RECEIVED)
    return interest, "staff:decide_place", PlaceState.NOT_SELECTED


def _challenge():
    return ChallengeFactory(), "staff:challenge_state", ChallengeState.DECLINED


def _micro_internship():
    mi = MicroInternshipFactory(open_now=True)
    return mi, "staff:micro_internship_state", MicroInternshipState.CANCELLED


@pytest.mark.parametrize("make", [_place, _challenge, _micro_internship])
def test_a_huge_reason_for_a_staff_decision_is_refused(make, staff_client):
    thing, url, to_state = make()
    before = thing.state
    response = staff_client.post(
        reverse(url, args=[thing.pk]), {"to_state": to_state, "reason": "x" * 100_000}, follow=True
    )
    assert "Please keep the reason to 1,000 characters or fewer (it has 100000)." in (
        response.content.decode()
    )
    thing.refresh_from_db()
    assert thing.state == before


def test_the_statement_limit_is_set_when_the_form_is_made(settings):
    settings.MICROINTERN = {**settings.MICROINTERN, "STATEMENT_WORD_LIMIT": 300}
    assert InterestForm().fields["statement"].max_length == 3900


def test_staff_text_fields_are_limited_too():
    role = all_roles()[0]
    template = EmailTemplateForm({"subject": "Hello", "body": "x" * 20_001}, role=role)
    assert not template.is_valid()
    assert (
        "Please keep this to 20,000 characters or fewer (it has 20001)."
        in template.errors["body"][0]
    )
    item = ItemEditForm({"text": "x" * 1001, "code": "c", "response_type": "text"})
    assert not item.is_valid() and "1,000 characters or fewer" in item.errors["text"][0]
    schedule = MicroInternshipForm({"venue_address": "x" * 3001})
    assert "3,000 characters or fewer (it has 3001)" in schedule.errors["venue_address"][0]
    text_fields = [
        f for f in MicroInternshipForm().fields.values() if isinstance(f, forms.CharField)
    ]
    assert text_fields and all(f.max_length for f in text_fields)


def _is_unlimited_char_field(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "CharField"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "forms"
        and "max_length" not in {k.arg for k in node.keywords}
    )


def _char_fields_without_a_limit(path: Path) -> list[str]:
    """forms.CharField(...) without max_length, unless its form limits it on creation
    (`limit_length` in its class, for a limit read from the settings)."""
    tree = ast.parse(path.read_text())
    limited_on_creation = {
        id(node)
        for cls in ast.walk(tree)
        if isinstance(cls, ast.ClassDef) and "limit_length(" in ast.unparse(cls)
        for node in ast.walk(cls)
    }
    return [
        f"{path.relative_to(SOURCE)}:{node.lineno}"
        for node in ast.walk(tree)
        if _is_unlimited_char_field(node) and id(node) not in limited_on_creation
    ]


def test_every_form_text_field_has_a_max_length():
    unlimited = [
        place
        for path in sorted(SOURCE.rglob("*.py"))
        for place in _char_fields_without_a_limit(path)
    ]
    assert unlimited == []


def test_no_view_reads_free_text_straight_from_the_post():
    """A reason read with request.POST.get would skip the form and its limit."""
    offenders = [
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("views/*.py")
        if 'request.POST.get("reason"' in path.read_text()
    ]
    assert offenders == []
