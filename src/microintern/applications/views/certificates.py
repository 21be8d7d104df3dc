"""The public page where anyone holding a certificate's code can check it."""

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache

from ..certificate import spaced_code
from ..domain import CERTIFICATE_CODE_LENGTH, normal_certificate_code
from ..enums import PlaceState
from ..models import ExpressionOfInterest


@never_cache
def check_certificate(request):
    """A form for the code; with ``?code=``, what the certificate of that code says."""
    typed = request.GET.get("code", "").strip()
    if not typed:
        return render(request, "applications/check_certificate.html", {})
    code = normal_certificate_code(typed)
    context = {"typed": typed}
    if len(code) != CERTIFICATE_CODE_LENGTH:
        context["problem"] = gettext(
            "A certificate code has %(length)d letters and digits (you typed %(typed)d), "
            "printed in three groups of four at the foot of the certificate."
        ) % {"length": CERTIFICATE_CODE_LENGTH, "typed": len(code)}
        return render(request, "applications/check_certificate.html", context, status=400)
    interest = (
        ExpressionOfInterest.objects.select_related(
            "student", "micro_internship__challenge__organisation"
        )
        .filter(certificate_code=code)
        .first()
    )
    if interest is None:
        context["problem"] = gettext(
            "No certificate has this code. Check it against the certificate: the letters "
            "I, L, O and U are never used, so 1 and 0 are always digits."
        )
        return render(request, "applications/check_certificate.html", context, status=404)
    context.update(
        {
            "code": spaced_code(code),
            "interest": interest,
            "valid": interest.state == PlaceState.ATTENDED,
            "day": timezone.localtime(interest.micro_internship.starts_at),
        }
    )
    return render(request, "applications/check_certificate.html", context)
