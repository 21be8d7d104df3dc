"""Administrators: who has an account and which role, moving staff between roles, and the
roles university sign-in groups give."""

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from microintern.core.domain import activity_for
from microintern.core.forms import StateChangeForm
from microintern.core.permissions import permission_required

from .domain import STAFF_SIDE_ROLES, RoleChangeRefused, change_role
from .enums import Role
from .forms import SignOnRuleForm
from .models import IdentityProviderGroupRole, User
from .single_sign_on import GroupRoleRefused, remove_group_role, set_group_role

MANAGE = "microintern.manage_people"


@permission_required(MANAGE)
def people(request):
    role = request.GET.get("role", "")
    text = request.GET.get("q", "").strip()[:200]
    users = User.objects.annotate(
        has_second_factor=Exists(Authenticator.objects.filter(user=OuterRef("pk")))
    ).order_by("email")
    if role in Role.values:
        users = users.filter(role=role)
    if text:
        users = users.filter(Q(email__icontains=text) | Q(full_name__icontains=text))
    return render(
        request,
        "accounts/people.html",
        {
            "users": users[:200],
            "roles": Role.choices,
            "role": role,
            "q": text,
            "staff_side": [(r.value, r.label) for r in STAFF_SIDE_ROLES],
            "activity": activity_for(*users.filter(role__in=STAFF_SIDE_ROLES)[:200])[:50],
        },
    )


@require_POST
@permission_required(MANAGE)
def set_role(request, pk: int):
    user = get_object_or_404(User, pk=pk)
    wanted = request.POST.get("role", "")
    form = StateChangeForm(request.POST)
    try:
        if "reason" in form.errors:
            raise RoleChangeRefused(form.first_error())
        if wanted not in Role.values:
            raise RoleChangeRefused("Please choose a role.")
        form.is_valid()
        change_role(user, Role(wanted), actor=request.user, reason=form.cleaned_data["reason"])
    except RoleChangeRefused as error:
        messages.error(request, f"{user.email}: {error} Nothing was changed.")
    else:
        messages.success(request, f"{user.email} is now “{Role(wanted).label}”.")
    return redirect("staff:people")


@permission_required(MANAGE)
def sign_on_rules(request):
    """The rules that give university sign-in groups a role; adding (or replacing) one."""
    form = SignOnRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rule = set_group_role(
                data["provider_id"],
                data["group"],
                Role(data["role"]),
                actor=request.user,
                reason=data["reason"],
            )
        except GroupRoleRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"People in “{rule.group}” now sign in as “{rule.get_role_display()}”.",
            )
            return redirect("staff:sign_on_rules")
    rules_shown = IdentityProviderGroupRole.objects.all()
    return render(
        request,
        "accounts/sign_on_rules.html",
        {"form": form, "rules": rules_shown, "activity": activity_for(*rules_shown)[:50]},
    )


@require_POST
@permission_required(MANAGE)
def remove_sign_on_rule(request, pk: int):
    rule = get_object_or_404(IdentityProviderGroupRole, pk=pk)
    try:
        remove_group_role(rule.pk, actor=request.user, reason=request.POST.get("reason", ""))
    except GroupRoleRefused as error:
        messages.error(request, f"“{rule.group}”: {error} Nothing was changed.")
    else:
        messages.success(request, f"“{rule.group}” no longer gives a role.")
    return redirect("staff:sign_on_rules")
