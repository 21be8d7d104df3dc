"""One person, one student: address variants of the same mailbox never make a second student
(and so never a second lottery entry)."""

import pytest
from django.db import IntegrityError, transaction
from hypothesis import given
from hypothesis import strategies as st

from microintern.accounts.domain import (
    NotAUniversityAddress,
    normalise_email,
    student_for_interest,
    university_address_problem,
)
from microintern.accounts.models import Student
from tests.accounts.factories import StudentFactory

pytestmark = pytest.mark.django_db

NAME = st.from_regex(r"[a-z][a-z0-9.]{0,15}[a-z0-9]", fullmatch=True)
TAG = st.from_regex(r"[A-Za-z0-9._-]{0,10}", fullmatch=True)


def _variants_of(name: str, draw) -> str:
    """A hostile spelling of name@example.ac.uk: case changed, a +tag, spaces around."""
    cased = "".join(c.upper() if draw(st.booleans()) else c for c in name)
    tag = f"+{draw(TAG)}" if draw(st.booleans()) else ""
    domain = "".join(c.upper() if draw(st.booleans()) else c for c in "example.ac.uk")
    return f"{draw(st.sampled_from(['', ' ', '  ']))}{cased}{tag}@{domain} "


@given(data=st.data(), name=NAME)
def test_every_variant_of_an_address_is_spelled_as_the_address(data, name):
    assert normalise_email(_variants_of(name, data.draw)) == f"{name}@example.ac.uk"


HOSTILE = [
    "Amira.Hassan@example.ac.uk",
    "amira.hassan+2@example.ac.uk",
    " AMIRA.HASSAN+lottery@EXAMPLE.AC.UK ",
    "amira.hassan+@example.ac.uk",
    "amira.hassan+a+b@example.ac.uk",
]


def test_hostile_variants_of_an_address_are_the_same_student():
    first = student_for_interest(
        email="amira.hassan@example.ac.uk", student_number="S1000001", full_name="Amira Hassan"
    )
    for number, variant in enumerate(HOSTILE, start=2):
        again = student_for_interest(
            email=variant, student_number=f"S100000{number}", full_name="Amira Hassan"
        )
        assert again.student == first.student and not again.created, variant
    assert list(Student.objects.values_list("email", flat=True)) == ["amira.hassan@example.ac.uk"]


@given(name=NAME, sub=st.from_regex(r"[a-zA-Z0-9-]{1,8}(\.[a-z0-9-]{1,8})?", fullmatch=True))
def test_a_sub_domain_of_the_university_is_refused_with_the_address_to_use(name, sub):
    problem = university_address_problem(f"{name}@{sub}.example.ac.uk")
    assert problem == (
        "Please use your university email address ending in @example.ac.uk, "
        f"not @{sub.lower()}.example.ac.uk."
    )


def test_the_domain_layer_refuses_a_sub_domain_too():
    with pytest.raises(NotAUniversityAddress):
        student_for_interest(
            email="amira.hassan@mail.example.ac.uk", student_number="S1", full_name="A"
        )
    assert not Student.objects.exists()


@given(name=NAME, tag=TAG)
def test_a_tag_is_kept_at_other_domains(name, tag):
    assert normalise_email(f"{name}+{tag}@Gmail.com") == f"{name}+{tag.lower()}@gmail.com"


def test_a_domain_that_merely_ends_like_the_university_is_not_it():
    assert university_address_problem("a@evil-example.ac.uk").startswith(
        "Please use your university email address, ending in @example.ac.uk."
    )
    assert university_address_problem("a@example.ac.uk.evil.test")


def test_the_form_refuses_variants_that_would_make_a_second_lottery_entry(client, open_mi):
    from tests.applications.test_interest import FORM  # noqa: PLC0415 - a test's form data

    StudentFactory(email="amira.hassan@example.ac.uk", student_number="S2468024")
    client.post(
        f"/my/interest/{open_mi.reference}/",
        {**FORM, "email": "Amira.Hassan+2@example.ac.uk", "student_number": "S9999992"},
    )
    page = client.post(
        f"/my/interest/{open_mi.reference}/",
        {**FORM, "email": "amira.hassan@mail.example.ac.uk", "student_number": "S9999993"},
    ).content.decode()
    assert "not @mail.example.ac.uk" in page and FORM["statement"] in page
    assert list(Student.objects.values_list("email", flat=True)) == ["amira.hassan@example.ac.uk"]


def test_the_database_refuses_an_address_that_is_not_in_lower_case():
    StudentFactory(email="amira.hassan@example.ac.uk")
    with pytest.raises(IntegrityError), transaction.atomic():
        StudentFactory(email="Amira.Hassan@example.ac.uk")
