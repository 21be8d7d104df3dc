import rules

from microintern.accounts.rules import is_clinic_staff
from microintern.applications.enums import PlaceState


@rules.predicate
def is_contact_of_organisation(user, challenge) -> bool:
    contact = getattr(user, "host_contact", None) if user.is_authenticated else None
    return contact is not None and challenge.organisation_id == contact.organisation_id


rules.add_perm("hosts.view_challenge", is_clinic_staff | is_contact_of_organisation)
rules.add_perm("hosts.change_challenge_state", is_clinic_staff)


@rules.predicate
def is_contact_of_host(user, mi) -> bool:
    contact = getattr(user, "host_contact", None) if user.is_authenticated else None
    return contact is not None and mi.challenge.organisation_id == contact.organisation_id


rules.add_perm("hosts.view_micro_internship", is_clinic_staff | is_contact_of_host)
rules.add_perm("hosts.add_briefing", is_contact_of_host | is_clinic_staff)


@rules.predicate
def is_on_the_team(user, mi) -> bool:
    student = getattr(user, "student", None) if user.is_authenticated else None
    return (
        student is not None
        and mi.interests.filter(student=student, state__in=PlaceState.on_the_team()).exists()
    )


rules.add_perm("hosts.download_briefing", is_clinic_staff | is_contact_of_host | is_on_the_team)
