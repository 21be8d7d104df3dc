"""Read-only questions about people that other apps ask."""

from .enums import Role
from .models import IdentityProviderGroupRole, Student

ROLES_BY_PRECEDENCE = (Role.ADMINISTRATOR, Role.STAFF, Role.RESEARCHER)


def student_record_imported() -> bool:
    """Whether the university has imported its student record (the population import stamps
    `record_imported_at`). Until then nobody can be checked against it; afterwards a student
    missing from it is not eligible for selection."""
    return Student.objects.filter(record_imported_at__isnull=False).exists()


def missing_from_the_record(student: Student) -> bool:
    """The record has been imported and this student is not on it."""
    return student.record_imported_at is None and student_record_imported()


def role_for_groups(provider_id: str, groups) -> tuple[Role | None, tuple[str, ...]]:
    """The role the administrators' rules give these provider groups (the highest, in the
    order administrator, staff, researcher; None: no rule matches), and the groups no rule
    mentions."""
    rules = dict(
        IdentityProviderGroupRole.objects.filter(
            provider_id=provider_id, group__in=list(groups)
        ).values_list("group", "role")
    )
    unmapped = tuple(group for group in groups if group not in rules)
    given = set(rules.values())
    role = next((role for role in ROLES_BY_PRECEDENCE if role in given), None)
    return role, unmapped
