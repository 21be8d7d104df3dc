"""The widening-participation fields are written once, in accounts.models."""

import pytest

from microintern.accounts.models import WP_FIELDS, Student, WideningParticipation


def test_the_student_has_every_widening_participation_field_from_one_abstract_model():
    assert WideningParticipation._meta.abstract
    assert issubclass(Student, WideningParticipation)
    assert {f.name for f in WideningParticipation._meta.get_fields()} == set(WP_FIELDS)
    constraint_names = {c.name for c in Student._meta.constraints}
    assert {"student_imd_quintile_range", "student_polar4_quintile_range"} <= constraint_names


@pytest.mark.parametrize(
    ("fields", "flagged"),
    [
        ({}, False),
        ({"imd_quintile": 2}, True),
        ({"imd_quintile": 3, "polar4_quintile": 2}, False),
        ({"tundra_quintile": 1}, True),
        ({"carer": True}, True),
        ({"commuter": False, "first_in_family": False}, False),
    ],
)
def test_any_one_flag_counts_as_widening_participation(fields, flagged):
    assert Student(**fields).has_widening_participation_flag is flagged
