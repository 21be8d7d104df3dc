"""Cross-cutting views: send each signed-in person to the home page of their role."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render

from microintern.accounts.enums import Role
from microintern.applications.enums import PlaceState

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


@permission_required("microintern.view_insights")
def insights_home(request):
    """Aggregate figures only, rounded to HESA's nearest 5; the full dashboard is issue 7."""
    from microintern.applications.models import ExpressionOfInterest
    from microintern.programme.models import MicroInternship

    by_state = (
        ExpressionOfInterest.objects.values("state").annotate(n=Count("id")).order_by("state")
    )
    return render(
        request,
        "core/insights_home.html",
        {
            "micro_internship_count": MicroInternship.objects.count(),
            "place_counts": [
                (PlaceState(row["state"]).label, hesa_round(row["n"])) for row in by_state
            ],
        },
    )


def hesa_round(count: int) -> int:
    """HESA standard rounding: nearest multiple of 5, halves up, below 2.5 → 0."""
    return 0 if count < 2.5 else int((count + 2.5) // 5 * 5)
