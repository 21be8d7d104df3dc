"""A student's own choices: equality-monitoring answers and research consent."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from microintern.core.permissions import permission_required

from .. import domain
from ..consent import (
    CONSENT_WORDING_VERSION,
    EXPORTED_WITH_CONSENT,
    EXPORTED_WITH_EQUALITY_CONSENT,
)
from ..forms import EqualityMonitoringForm, ResearchConsentForm
from ..models import EqualityMonitoring


def _student_of(request):
    student = getattr(request.user, "student", None)
    if student is None:
        raise PermissionDenied
    return student


@permission_required("insights.answer_equality_monitoring")
def equality_monitoring(request):
    student = _student_of(request)
    current = EqualityMonitoring.objects.filter(student=student).first()
    initial = {}
    if current:
        initial = {name: getattr(current, name) for name in EqualityMonitoring.FIELD_FRAMES}
        initial["disability_codes"] = [c for c in current.disability_codes.split(",") if c]
    form = EqualityMonitoringForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        domain.save_equality_answers(student, form.cleaned_data, actor=request.user)
        messages.success(request, "Thank you. Your answers are saved.")
        return redirect("insights:equality_monitoring")
    return render(
        request,
        "insights/student/equality_monitoring.html",
        {"form": form, "has_answers": current is not None},
    )


@require_POST
@permission_required("insights.answer_equality_monitoring")
def delete_equality_monitoring(request):
    if domain.delete_equality_answers(_student_of(request), actor=request.user):
        messages.success(request, "Your equality-monitoring answers have been deleted.")
    return redirect("insights:equality_monitoring")


@permission_required("insights.manage_research_consent")
def research_consent(request):
    student = _student_of(request)
    form = ResearchConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        domain.give_research_consent(
            student,
            quotes=form.cleaned_data["quotes"],
            equality=form.cleaned_data["equality"],
            actor=request.user,
        )
        messages.success(request, "Thank you. Your choice is saved; you can change it at any time.")
        return redirect("insights:research_consent")
    return render(
        request,
        "insights/student/research_consent.html",
        {
            "form": form,
            "consent": domain.active_consent(student),
            "exported": EXPORTED_WITH_CONSENT,
            "exported_with_equality": EXPORTED_WITH_EQUALITY_CONSENT,
            "wording_version": CONSENT_WORDING_VERSION,
        },
    )


@require_POST
@permission_required("insights.manage_research_consent")
def withdraw_research_consent(request):
    if domain.withdraw_research_consent(_student_of(request), actor=request.user):
        messages.success(
            request, "You have withdrawn your consent. Your data will not be in any later export."
        )
    return redirect("insights:research_consent")
