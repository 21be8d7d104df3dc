"""Who may see insights data. Equality answers are never readable per person by anyone."""

import rules

from microintern.accounts.enums import Role
from microintern.accounts.rules import is_clinic_staff, is_researcher, is_student


@rules.predicate
def is_administrator(user) -> bool:
    return user.is_authenticated and user.role == Role.ADMINISTRATOR


# Aggregates (rounded) for staff and researchers: microintern.view_insights (accounts.rules).
rules.add_perm("insights.view_unrounded", is_administrator)
rules.add_perm("insights.import_population", is_clinic_staff)
rules.add_perm("insights.change_coding_mapping", is_administrator)
rules.add_perm("insights.export_research", is_researcher)
rules.add_perm("insights.answer_equality_monitoring", is_student)
rules.add_perm("insights.manage_research_consent", is_student)
