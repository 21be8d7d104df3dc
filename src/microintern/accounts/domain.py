"""People: finding or creating the student behind an expression of interest."""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import get_language, gettext

from microintern.core.domain import log_activity
from microintern.core.errors import Refusal
from microintern.core.locking import lock_row

from .enums import Role
from .models import Student, User


class StudentNumberBelongsToSomeoneElse(Refusal):
    """The student number is on record with a different email address."""

    def __init__(self, student_number: str):
        super().__init__("This student number is on record with a different email address.")
        self.student_number = student_number


class NotAUniversityAddress(Refusal):
    """The address cannot be a student's (see `university_address_problem`)."""


@dataclass(frozen=True)
class StudentMatch:
    student: Student
    created: bool
    number_differs: bool  # matched on email; the typed student number is not the one on record


def university_domains() -> list[str]:
    return settings.MICROINTERN["UNIVERSITY_EMAIL_DOMAINS"]


def normalise_email(email: str) -> str:
    """One spelling per mailbox, so one person cannot be two students (docs/students.md):
    lower-cased and trimmed; at a university domain, a "+tag" after the name is dropped
    (the university's mail delivers name+tag@ to name@, so codes and links still arrive)."""
    email = email.strip().lower()
    name, at, domain = email.rpartition("@")
    if at and domain in university_domains():
        name = name.split("+", 1)[0]
    return f"{name}{at}{domain}"


def university_address_problem(email: str) -> str:
    """Why `email` cannot be a student's address, for the student; "" when it can.

    Only the configured domains themselves are accepted: a sub-domain of one (such as
    mail.example.ac.uk) may reach the same mailbox as the domain, so it is refused rather
    than becoming a second student; a university whose students use a sub-domain lists it.
    """
    domain = email.strip().lower().rpartition("@")[2]
    domains = university_domains()
    if domain in domains:
        return ""
    listed = gettext(" or ").join(f"@{d}" for d in domains)
    if any(domain.endswith("." + d) for d in domains):
        return gettext(
            "Please use your university email address ending in %(listed)s, not @%(domain)s."
        ) % {"listed": listed, "domain": domain}
    return gettext(
        "Please use your university email address, ending in %(listed)s. "
        "We use it to check that you study here."
    ) % {"listed": listed}


def student_for_interest(*, email: str, student_number: str, full_name: str) -> StudentMatch:
    """The Student who owns `email`, or a new Student (and sign-in User) for it.

    Rules (identity without friction, but nobody acts for someone else): the email address is
    the identity, because only its owner can click the confirm link or receive a sign-in code.
    An existing student is matched on email alone and their record is never changed from a
    public form; a student number already on record with another address is refused
    (StudentNumberBelongsToSomeoneElse) without saying whose it is. A new student gets a User
    with role student and no usable password (they sign in with emailed codes).
    Side effects: logs `student.created_from_interest` for a new student. Someone making the
    same student (address or number) at the same moment makes the database refuse this one
    with IntegrityError, which spoils the caller's transaction: the caller runs it again in a
    new one, where the other student is found.
    Addresses are compared as `normalise_email` spells them (one spelling per mailbox), and
    one that is not at a university domain itself is refused (NotAUniversityAddress).
    """
    problem = university_address_problem(email)
    if problem:
        raise NotAUniversityAddress(problem)
    email = normalise_email(email)  # as students' addresses are stored (lower case)
    student_number = student_number.strip().upper()
    # One look-up answers both questions: is the address on record, and is the number?
    on_record = list(
        Student.objects.filter(Q(email=email) | Q(student_number__iexact=student_number)).order_by()
    )
    existing = next((s for s in on_record if s.email == email), None)
    if existing is not None:
        return StudentMatch(existing, False, existing.student_number.upper() != student_number)
    if on_record:
        raise StudentNumberBelongsToSomeoneElse(student_number)
    full_name = full_name.strip()
    student = Student.objects.create(
        email=email,
        student_number=student_number,
        full_name=full_name,
        user=_sign_in_user_for(email, full_name),
    )
    log_activity(student, "student.created_from_interest")
    return StudentMatch(student, True, False)


def _sign_in_user_for(email: str, full_name: str) -> User | None:
    """A student-role User for a new student's address, unless that address already belongs
    to someone with another role (then the student simply has no sign-in yet). A new User
    keeps the language of the page the student was on, when it is not the default, so that
    the emails about their interest are in it."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        return User.objects.create_user(
            email, role=Role.STUDENT, full_name=full_name, language=language_in_use()
        )
    if user.role == Role.STUDENT and not Student.objects.filter(user=user).exists():
        return user
    return None


STAFF_SIDE_ROLES = (Role.STAFF, Role.RESEARCHER, Role.ADMINISTRATOR)


class RoleChangeRefused(Refusal):
    """A role change the rules below do not allow; the message says why."""


@transaction.atomic
def change_role(user: User, role: Role, *, actor, reason: str) -> User:
    """An administrator moves a staff-side account between staff, researcher and
    administrator.

    Rules: only between those three (students and hosts get their roles from the student
    record and from offering a challenge); a reason is required; the last active
    administrator cannot stop being one. Side effects: saves the role (it takes effect on
    the person's next request: permissions are read from it each time) as the
    administrator's, so no provider's groups take it back when they stop matching, and logs
    `user.role_changed` with both roles and the reason.
    """
    role = Role(role)
    locked = lock_row(User, user.pk)
    if locked.role not in STAFF_SIDE_ROLES or role not in STAFF_SIDE_ROLES:
        raise RoleChangeRefused(
            "Only staff, researcher and administrator accounts can be moved between those "
            "roles here."
        )
    if not reason.strip():
        raise RoleChangeRefused("Please give a reason: it is kept in the activity log.")
    if locked.role == role:
        raise RoleChangeRefused(f"{locked.email} already has the role “{role.label}”.")
    if (
        locked.role == Role.ADMINISTRATOR
        and not User.objects.filter(role=Role.ADMINISTRATOR, is_active=True)
        .exclude(pk=locked.pk)
        .exists()
    ):
        raise RoleChangeRefused("This is the last administrator: make someone else one first.")
    before = locked.role
    locked.role, locked.role_from_provider = role, ""
    locked.save(update_fields=["role", "role_from_provider"])
    log_activity(
        locked, "user.role_changed", actor=actor, from_role=before, to_role=role, reason=reason
    )
    return locked


def language_in_use() -> str:
    """The active language when it is not the default (the page's, in a request), else ""."""
    language = known_language(get_language() or "")
    return "" if language == settings.LANGUAGE_CODE else language


def known_language(code: str) -> str:
    """`code` if it is one of the site's languages (LANGUAGES), else ""."""
    return code if code in dict(settings.LANGUAGES) else ""


def set_language_preference(user: User, language: str) -> bool:
    """Remember the language `user` chose for pages and emails (one of LANGUAGES).

    Side effects: saves `User.language` when it changes (emails from then on are written in
    it, `mail.outbox`); an unknown code changes nothing. True when something was saved."""
    language = known_language(language)
    if not language or user.language == language:
        return False
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    return True
