"""Host contacts' own pages: their organisation's challenges and micro-internships."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from microintern.core.permissions import permission_required


@permission_required("microintern.use_host_pages")
def home(request):
    contact = getattr(request.user, "host_contact", None)
    if contact is None:
        raise PermissionDenied
    challenges = contact.organisation.challenges.prefetch_related("micro_internships")
    return render(request, "hosts/host/home.html", {"contact": contact, "challenges": challenges})
