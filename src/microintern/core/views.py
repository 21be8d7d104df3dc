"""Cross-cutting views: send each signed-in person to the home page of their role."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from microintern.accounts.enums import Role

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
