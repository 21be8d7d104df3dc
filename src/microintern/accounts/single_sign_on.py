"""Signing in with a university account (OpenID Connect): which account an identity
provider's word opens, making it on a first sign-in, roles from the provider's groups, and
the administrators' rules that turn groups into roles.

The provider's word counts only from a provider configured as trusted, for an address it
says it has checked, at a domain it may vouch for (docs/deployment.md, "Single sign-on").
"""

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from microintern.core.domain import log_activity
from microintern.core.errors import Refusal
from microintern.core.locking import lock_row

from .domain import STAFF_SIDE_ROLES, normalise_email
from .enums import Role
from .idp_claims import Assertion
from .models import IdentityProviderGroupRole, User
from .queries import role_for_groups

logger = logging.getLogger("microintern.accounts.sso")


class SingleSignOnRefused(Refusal):
    """The provider's word does not open an account here; the message says why and what to
    do instead. Nothing was created or changed."""


@dataclass(frozen=True)
class SignIn:
    user: User
    created: bool
    role_given: Role | None  # a role the provider's groups gave in this sign-in
    unmapped_groups: tuple[str, ...]  # groups no administrator's rule mentions
    role_taken_back: Role | None = None  # a role the groups gave before and no longer give


def _refuse(assertion: Assertion, reason: str, message: str) -> SingleSignOnRefused:
    logger.warning(
        "single sign-on refused (%s) from %s for %r", reason, assertion.provider_id, assertion.email
    )
    return SingleSignOnRefused(message)


def sign_in_with(
    assertion: Assertion, *, provider_name: str, trusted: bool, email_domains: list[str]
) -> SignIn:
    """The account a provider's sign-in opens: the one with the verified address, or a new
    one (role from the groups, else student; no password: emailed codes or the provider).

    Rules: the provider must be configured as trusted, must have said it checked the address
    (email_verified), and may vouch only for addresses at `email_domains`; otherwise
    SingleSignOnRefused, logged, and nothing is created. Side effects: a new account logs
    `user.created_by_sign_on`; the groups' role is applied (`apply_group_roles`).
    """
    name = provider_name
    if not trusted:
        raise _refuse(
            assertion,
            "provider not trusted",
            f"{name} is not set up to vouch for accounts here. Please sign in with an emailed "
            "code instead.",
        )
    if not assertion.email:
        raise _refuse(
            assertion,
            "no email",
            f"{name} did not tell us your email address, so we cannot find your account. "
            "Please sign in with an emailed code instead.",
        )
    if not assertion.email_verified:
        raise _refuse(
            assertion,
            "email not verified",
            f"{name} did not confirm that {assertion.email} is yours, so we cannot sign you in "
            "with it. Please sign in with an emailed code instead.",
        )
    email = normalise_email(assertion.email)
    if email.rpartition("@")[2] not in email_domains:
        listed = " or ".join(f"@{d}" for d in email_domains)
        raise _refuse(
            assertion,
            "domain not vouched for",
            f"{name} can sign in only addresses ending in {listed}, not {assertion.email}. "
            "Please sign in with an emailed code instead.",
        )
    user, created = _find_or_create(email, assertion)
    role_given, unmapped, taken_back = apply_group_roles(user, assertion)
    return SignIn(User.objects.get(pk=user.pk), created, role_given, unmapped, taken_back)


def _find_or_create(email: str, assertion: Assertion) -> tuple[User, bool]:
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user, False
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email, role=Role.STUDENT, full_name=assertion.full_name[:200]
            )
            log_activity(
                user,
                "user.created_by_sign_on",
                provider=assertion.provider_id,
                groups=list(assertion.groups),
            )
    except IntegrityError:
        # The same person's first sign-in in another tab at the same moment: theirs is ours.
        return User.objects.get(email__iexact=email), False
    return user, True


@transaction.atomic
def apply_group_roles(
    user: User, assertion: Assertion
) -> tuple[Role | None, tuple[str, ...], Role | None]:
    """Give `user` the role the administrators' rules give their provider groups.

    Rules: a group no rule mentions gives nothing (logged, so an administrator can add a
    rule). With no rule matching, a role this provider's groups gave is taken back (the
    person left the group, or its rule was removed: they are a student again), and any other
    role stays as it is (an administrator's choice, or student). The last active
    administrator is not moved away by a provider's groups. Side effects: a changed role is
    saved with the provider that gave it (`role_from_provider`) and logs
    `user.role_from_sign_on` with both roles, the provider and the groups. Returns the role
    given (None: none), the unmapped groups and the role taken back (None: none).
    """
    role, unmapped = role_for_groups(assertion.provider_id, assertion.groups)
    if unmapped:
        logger.warning(
            "groups with no role rule from %s for %s: %s",
            assertion.provider_id,
            user.email,
            ", ".join(unmapped),
        )
    locked = lock_row(User, user.pk)
    given_here = locked.role_from_provider == assertion.provider_id
    if role is None and not given_here:
        return None, unmapped, None
    new_role, source = (role, assertion.provider_id) if role else (Role.STUDENT, "")
    if locked.role == new_role:
        if locked.role_from_provider != source:
            locked.role_from_provider = source
            locked.save(update_fields=["role_from_provider"])
        return role, unmapped, None
    if locked.role == Role.ADMINISTRATOR and _last_administrator(locked):
        logger.warning("kept %s as the last administrator despite groups giving %s", user, new_role)
        return None, unmapped, None
    before = locked.role
    locked.role, locked.role_from_provider = new_role, source
    locked.save(update_fields=["role", "role_from_provider"])
    log_activity(
        locked,
        "user.role_from_sign_on",
        from_role=before,
        to_role=new_role,
        provider=assertion.provider_id,
        groups=list(assertion.groups),
        taken_back=role is None,
    )
    return role, unmapped, None if role else Role(before)


def _last_administrator(user: User) -> bool:
    return (
        not User.objects.filter(role=Role.ADMINISTRATOR, is_active=True)
        .exclude(pk=user.pk)
        .exists()
    )


class GroupRoleRefused(Refusal):
    """A group rule the administrator asked for cannot be kept; the message says why."""


@transaction.atomic
def set_group_role(
    provider_id: str, group: str, role: Role, *, actor, reason: str
) -> IdentityProviderGroupRole:
    """An administrator says people in `group` at `provider_id` sign in with `role`.

    Rules: a staff-side role only; a reason is required; one rule per group (a second one
    replaces the first). Side effects: saves the rule and logs `sign_on_rule.set` with the
    role before (if any), the role now and the reason; it takes effect at each person's next
    sign-in.
    """
    provider_id, group = provider_id.strip(), group.strip()
    if not provider_id or not group:
        raise GroupRoleRefused("Please give both the provider and the group.")
    if Role(role) not in STAFF_SIDE_ROLES:
        raise GroupRoleRefused("A group can give only staff, researcher or administrator.")
    if not reason.strip():
        raise GroupRoleRefused("Please give a reason: it is kept in the activity log.")
    existing = IdentityProviderGroupRole.objects.filter(provider_id=provider_id, group=group)
    before = ""
    if existing.exists():
        rule = lock_row(IdentityProviderGroupRole, existing.get().pk)
        before, rule.role = rule.role, role
        rule.save(update_fields=["role"])
    else:
        rule = IdentityProviderGroupRole.objects.create(
            provider_id=provider_id, group=group, role=role
        )
    log_activity(
        rule,
        "sign_on_rule.set",
        actor=actor,
        provider=provider_id,
        group=group,
        from_role=before,
        to_role=role,
        reason=reason,
    )
    return rule


@transaction.atomic
def remove_group_role(rule_pk: int, *, actor, reason: str) -> None:
    """An administrator removes a group's rule: no later sign-in gives it, and a role it gave
    is taken back at that person's next sign-in unless another of their groups gives one.

    Side effects: deletes the rule and logs `sign_on_rule.removed` with what it said and the
    reason."""
    if not reason.strip():
        raise GroupRoleRefused("Please give a reason: it is kept in the activity log.")
    rule = lock_row(IdentityProviderGroupRole, rule_pk)
    log_activity(
        rule,
        "sign_on_rule.removed",
        actor=actor,
        provider=rule.provider_id,
        group=rule.group,
        from_role=rule.role,
        reason=reason,
    )
    rule.delete()
