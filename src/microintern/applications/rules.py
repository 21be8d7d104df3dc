import rules

from microintern.accounts.rules import is_clinic_staff


@rules.predicate
def is_own_interest(user, interest) -> bool:
    student = getattr(user, "student", None) if user.is_authenticated else None
    return student is not None and interest.student_id == student.pk


rules.add_perm("applications.respond_to_place", is_own_interest)
rules.add_perm("applications.view_interest", is_own_interest | is_clinic_staff)
