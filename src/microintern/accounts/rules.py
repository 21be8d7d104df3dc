"""Who may do what. Every view checks one of these permissions."""

import rules

from .enums import Role


@rules.predicate
def is_student(user) -> bool:
    return user.is_authenticated and user.role == Role.STUDENT


@rules.predicate
def is_host(user) -> bool:
    return user.is_authenticated and user.role == Role.HOST


@rules.predicate
def is_clinic_staff(user) -> bool:
    return user.is_authenticated and user.role in (Role.STAFF, Role.ADMINISTRATOR)


@rules.predicate
def is_researcher(user) -> bool:
    return user.is_authenticated and user.role in (Role.RESEARCHER, Role.ADMINISTRATOR)


@rules.predicate
def is_administrator(user) -> bool:
    return user.is_authenticated and user.role == Role.ADMINISTRATOR


rules.add_perm("microintern.use_back_office", is_clinic_staff)
rules.add_perm("microintern.manage_people", is_administrator)
rules.add_perm("microintern.view_insights", is_clinic_staff | is_researcher)
rules.add_perm("microintern.use_student_pages", is_student)
rules.add_perm("microintern.use_host_pages", is_host)
