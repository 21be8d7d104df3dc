"""People: finding or creating the student behind an expression of interest."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from microintern.core.domain import log_activity
from microintern.core.errors import Refusal

from .enums import Role
from .models import Student, User


class StudentNumberBelongsToSomeoneElse(Refusal):
    """The student number is on record with a different email address."""

    def __init__(self, student_number: str):
        super().__init__("This student number is on record with a different email address.")
        self.student_number = student_number


@dataclass(frozen=True)
class StudentMatch:
    student: Student
    created: bool
    number_differs: bool  # matched on email; the typed student number is not the one on record


def normalise_email(email: str) -> str:
    return email.strip().lower()


def student_for_interest(*, email: str, student_number: str, full_name: str) -> StudentMatch:
    """The Student who owns `email`, or a new Student (and sign-in User) for it.

    Rules (identity without friction, but nobody acts for someone else): the email address is
    the identity, because only its owner can click the confirm link or receive a sign-in code.
    An existing student is matched on email alone and their record is never changed from a
    public form; a student number already on record with another address is refused
    (StudentNumberBelongsToSomeoneElse) without saying whose it is. A new student gets a User
    with role student and no usable password (they sign in with emailed codes).
    Side effects: logs `student.created_from_interest` for a new student.
    """
    email = normalise_email(email)
    student_number = student_number.strip().upper()
    existing = Student.objects.filter(email__iexact=email).first()
    if existing is not None:
        return StudentMatch(existing, False, existing.student_number.upper() != student_number)
    if Student.objects.filter(student_number__iexact=student_number).exists():
        raise StudentNumberBelongsToSomeoneElse(student_number)
    try:
        with transaction.atomic():
            student = Student.objects.create(
                email=email, student_number=student_number, full_name=full_name.strip()
            )
            student.user = _sign_in_user_for(student)
            student.save(update_fields=["user"])
    except IntegrityError:
        # Someone created the same student at the same moment: use theirs if it matches.
        existing = Student.objects.filter(email__iexact=email).first()
        if existing is None:
            raise StudentNumberBelongsToSomeoneElse(student_number) from None
        return StudentMatch(existing, False, existing.student_number.upper() != student_number)
    log_activity(student, "student.created_from_interest")
    return StudentMatch(student, True, False)


def _sign_in_user_for(student: Student) -> User | None:
    """A student-role User for the student's address, unless that address already belongs to
    someone with another role (then the student simply has no sign-in yet)."""
    user = User.objects.filter(email__iexact=student.email).first()
    if user is None:
        return User.objects.create_user(
            student.email, role=Role.STUDENT, full_name=student.full_name
        )
    if user.role == Role.STUDENT and not Student.objects.filter(user=user).exists():
        return user
    return None
