"""Cross-cutting views: each signed-in person's home page, and the site's health."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from microintern.accounts.enums import Role

from . import health
from .models import PeriodicJobRun, SchedulerLease
from .periodic import LEASE_NAME
from .permissions import permission_required

HOME_FOR_ROLE = {
    Role.STUDENT: "applications:my_interests",
    Role.HOST: "hosts:home",
    Role.STAFF: "staff:dashboard",
    Role.RESEARCHER: "insights_home",
    Role.ADMINISTRATOR: "staff:dashboard",
}


@login_required
def home_for_role(request):
    """After sign-in, go to the page that matters for this person's role."""
    return redirect(HOME_FOR_ROLE[Role(request.user.role)])


@never_cache
def healthz(request):
    """For a load balancer or a monitor: 200 when every check passes, else 503, with each
    check's name, result and detail (counts and ages, never a person's data)."""
    checks = health.run_checks()
    ok = all(c.ok for c in checks)
    return JsonResponse(
        {
            "status": "ok" if ok else "failing",
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks],
        },
        status=200 if ok else 503,
    )


@permission_required("microintern.use_back_office")
def system(request):
    """Staff: the same checks in words, and when each periodic job last ran."""
    return render(
        request,
        "core/system.html",
        {
            "checks": health.run_checks(),
            "runs": PeriodicJobRun.objects.all(),
            "lease": SchedulerLease.objects.filter(name=LEASE_NAME).first(),
            "now": timezone.now(),
        },
    )
