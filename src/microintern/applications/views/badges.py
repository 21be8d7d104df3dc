"""Open Badges: the student's download, and the public addresses a verifier uses (the issuer's
profile, its public key, the status lists) with the page where anyone can check a badge."""

import json
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from microintern.core.domain import log_activity
from microintern.core.permissions import permission_required
from microintern.programme.domain import NotYetTheDay

from .. import badges
from ..certificate import NotAttended, spaced_code
from ..forms import CheckBadgeForm
from ..models import ExpressionOfInterest
from .student import STUDENT_PAGES

JWT_TYPE = "application/jwt"
PUBLIC = {"max_age": 300, "public": True}


@permission_required(STUDENT_PAGES)
def download_badge(request, pk: int):
    """The signed badge of one of the student's own places, as a file for a wallet."""
    interest = get_object_or_404(
        ExpressionOfInterest.objects.select_related(
            "student", "micro_internship__challenge__organisation"
        ),
        pk=pk,
    )
    if not request.user.has_perm("applications.view_interest", interest):
        log_activity(interest, "certificate.refused_not_owner", actor=request.user)
        raise PermissionDenied
    try:
        token = badges.issue_badge(interest)
    except (NotAttended, NotYetTheDay, badges.BadgeKeyMissing) as refusal:
        return render(
            request,
            "applications/student/no_certificate.html",
            {"interest": interest, "not_yet": str(refusal)},
            status=404,
        )
    response = HttpResponse(token, content_type=JWT_TYPE)
    filename = f"open-badge-{interest.micro_internship.reference}.jwt"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _json(data: dict, content_type: str = "application/json") -> JsonResponse:
    return JsonResponse(data, content_type=content_type, json_dumps_params={"indent": 2})


def public_address(view):
    """A GET-only, cacheable address for verifiers; 503 with the sentence when there is no key."""

    @require_GET
    @cache_control(**PUBLIC)
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except badges.BadgeKeyMissing as missing:
            return HttpResponse(str(missing), status=503, content_type="text/plain")

    return wrapper


@public_address
def issuer(request):
    """The issuer's Open Badges Profile, the `issuer.id` of every badge."""
    return _json({"@context": badges.CONTEXTS, **badges.issuer_profile()}, "application/ld+json")


@public_address
def public_key(request, thumbprint: str):
    """The public key a badge's `kid` names, as a JWK: the key in use or a retired one."""
    try:
        return _json(badges.public_jwk(thumbprint), "application/jwk+json")
    except KeyError as unknown:
        raise Http404("No such key.") from unknown


@public_address
def status_list(request, number: int):
    """A signed Bitstring Status List: which badges no longer hold (attendance corrected)."""
    return HttpResponse(badges.status_list_credential(number), content_type=JWT_TYPE)


@never_cache
def check_badge(request):
    """Paste or upload a badge; with an email address, also whether it was issued to it."""
    form = CheckBadgeForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            checked = badges.check_badge(form.cleaned_data["badge"])
        except (badges.BadgeNotVerified, badges.BadgeKeyMissing) as refusal:
            context["problem"] = str(refusal)
            return render(request, "applications/check_badge.html", context, status=400)
        email = form.cleaned_data["email"]
        subject = checked.credential.get("credentialSubject", {})
        context.update(
            {
                "checked": checked,
                "achievement": subject.get("achievement", {}),
                "issuer": checked.credential.get("issuer", {}),
                "code": spaced_code(checked.interest.certificate_code) if checked.interest else "",
                "day": timezone.localtime(checked.interest.micro_internship.starts_at)
                if checked.interest
                else None,
                "email": email,
                "issued_to_email": checked.issued_to(email) if email else None,
                "pretty": json.dumps(checked.credential, indent=2, ensure_ascii=False),
            }
        )
    return render(request, "applications/check_badge.html", context)
