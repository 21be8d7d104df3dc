"""Administrators: who has an account and which role, and moving staff between roles."""

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
from .models import User

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
