"""Staff pages of the outbox: every message, its history per person, failures with a retry
button, held drafts to release, and the template editor with a live preview."""

import re

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateSyntaxError
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from microintern.accounts.models import Student
from microintern.core.domain import activity_for, log_activity
from microintern.core.errors import Refusal
from microintern.core.permissions import permission_required
from microintern.hosts.models import HostContact

from . import outbox
from .enums import MessageState
from .forms import EmailTemplateForm, OutboxFilterForm
from .models import EmailTemplate, OutboundMessage
from .roles import all_roles, get_role
from .sample import sample_context
from .sealed import HIDDEN
from .templating import common_context, current_source, default_source, render_source

BACK_OFFICE = "microintern.use_back_office"


@permission_required(BACK_OFFICE)
def outbox_list(request):
    roles = sorted(set(OutboundMessage.objects.values_list("role", flat=True)))
    form = OutboxFilterForm(request.GET or None, roles=roles)
    rows = OutboundMessage.objects.all()
    if form.is_valid():
        if form.cleaned_data["state"]:
            rows = rows.filter(state=form.cleaned_data["state"])
        if form.cleaned_data["role"]:
            rows = rows.filter(role=form.cleaned_data["role"])
        if form.cleaned_data["to"]:
            rows = rows.filter(to__icontains=form.cleaned_data["to"])
    counts = dict(OutboundMessage.objects.values_list("state").annotate(n=Count("id")))
    page = Paginator(rows.defer("body"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "mail/staff/outbox.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "counts": [(state, counts.get(state.value, 0)) for state in MessageState],
            "drafts_shown": any(m.is_held for m in page),
        },
    )


PERSONAL_LINK = re.compile(r"(https?://[^\s/]+(?:/[^\s/]+)*?/)([A-Za-z0-9_\-:.]{24,})(/?)")


def hide_personal_links(body: str) -> str:
    """Links carrying a personal token (confirm, offer, feedback, survey) act for the
    student with one click, so staff see where they point but not the token."""
    return PERSONAL_LINK.sub(r"\1[personal link hidden]\3", body)


@permission_required(BACK_OFFICE)
def message_detail(request, pk: int):
    message = get_object_or_404(OutboundMessage, pk=pk)
    return render(
        request,
        "mail/staff/message.html",
        {
            "message": message,
            "body": HIDDEN if message.is_sealed else hide_personal_links(message.body),
            "attachments": message.attachments.defer("content"),
            "activity": activity_for(message),
        },
    )


@require_POST
@permission_required(BACK_OFFICE)
def retry(request, pk: int):
    message = get_object_or_404(OutboundMessage, pk=pk)
    try:
        retried = outbox.retry_failed(message, request.user)
    except Refusal as refusal:
        messages.error(request, str(refusal))
    else:
        if retried:
            messages.success(request, f"The email to {message.to} is queued to be tried again.")
        else:
            messages.error(request, "Only a failed email can be tried again.")
    return redirect("staff:outbox_message", pk=pk)


@require_POST
@permission_required(BACK_OFFICE)
def release(request):
    ids = [int(i) for i in request.POST.getlist("message") if i.isdigit()]
    if request.POST.get("all"):
        drafts = OutboundMessage.objects.filter(state__in=MessageState.held())
        if request.POST.get("role"):
            drafts = drafts.filter(role=request.POST["role"])
        ids = list(drafts.values_list("pk", flat=True))
    if not ids:
        messages.error(request, "Choose at least one held email to send.")
    else:
        try:
            count = outbox.release_held(ids, request.user)
        except Refusal as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, f"{count} held email{'s' if count != 1 else ''} released.")
    return redirect(f"{reverse('staff:outbox')}?state={MessageState.DRAFT.value}")


ACTION_KEY = re.compile(r"[0-9a-f]{32}")


def _action_key(key: str) -> str:
    if not ACTION_KEY.fullmatch(key) or not outbox.emails_of_action(key).exists():
        raise Http404("No emails were queued by that action.")
    return key


@permission_required(BACK_OFFICE)
def action_emails(request, key: str):
    """The emails one staff action queued, where each stands, and the buttons to hold back
    those not yet sent, and to release or discard those held."""
    key = _action_key(key)
    return render(
        request,
        "mail/staff/action_emails.html",
        {
            "summary": outbox.action_emails(key),
            "rows": outbox.emails_of_action(key).defer("body"),
            "back": _safe_next(request, ""),
        },
    )


ACTION_DECISIONS = {
    "hold": (
        lambda key, ids, actor: outbox.hold_action(key, actor),
        "{n} email{s} held back: {they} will not be sent unless you release {them}.",
        "Nothing was held back: every email of this action is already sent or on its way.",
    ),
    "release": (
        lambda key, ids, actor: outbox.release_held(ids, actor),
        "{n} held email{s} released for sending.",
        "Nothing was released: no email of this action is held.",
    ),
    "discard": (
        lambda key, ids, actor: outbox.discard_held(ids, actor),
        "{n} held email{s} discarded: {they} will never be sent.",
        "Nothing was discarded: no email of this action is held.",
    ),
}


@require_POST
@permission_required(BACK_OFFICE)
def decide_action_emails(request, key: str):
    """Hold back, release or discard the emails of one action (`do`), then go back to the
    page the button was on."""
    key = _action_key(key)
    decision = ACTION_DECISIONS.get(request.POST.get("do", ""))
    if decision is None:
        messages.error(request, "Please choose to hold back, release or discard the emails.")
    else:
        act, done, nothing = decision
        ids = list(outbox.emails_of_action(key).values_list("pk", flat=True))
        try:
            count = act(key, ids, request.user)
        except Refusal as refusal:
            messages.error(request, str(refusal))
        else:
            plural = count != 1
            if count:
                messages.success(
                    request,
                    done.format(
                        n=count,
                        s="s" if plural else "",
                        they="they" if plural else "it",
                        them="them" if plural else "it",
                    ),
                )
            else:
                messages.error(request, nothing)
    default = reverse("staff:action_emails", args=[key])
    return redirect(_safe_next(request, default))


def _safe_next(request, default: str) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return default


@permission_required(BACK_OFFICE)
def student_messages(request, pk: int):
    student = get_object_or_404(Student, pk=pk)
    return render(
        request,
        "mail/staff/person_messages.html",
        {"person": student, "name": student.full_name, "rows": outbox.messages_for_person(student)},
    )


@permission_required(BACK_OFFICE)
def contact_messages(request, pk: int):
    contact = get_object_or_404(HostContact.objects.select_related("organisation"), pk=pk)
    return render(
        request,
        "mail/staff/person_messages.html",
        {
            "person": contact,
            "name": f"{contact.name} ({contact.organisation.name})",
            "rows": outbox.messages_for_person(contact),
        },
    )


@permission_required(BACK_OFFICE)
def template_list(request):
    edited = dict(EmailTemplate.objects.values_list("role", "updated_at"))
    return render(
        request,
        "mail/staff/templates.html",
        {"roles": [(role, edited.get(role.name)) for role in all_roles()]},
    )


@permission_required(BACK_OFFICE)
def template_edit(request, role: str):
    email_role = get_role(role)
    if email_role is None:
        raise Http404("No such email template.")
    subject, body, is_edited = current_source(role)
    preview = None
    if request.method == "POST" and request.POST.get("action") == "reset":
        EmailTemplate.objects.filter(role=role).delete()
        log_activity(request.user, "email_template.reset", actor=request.user, role=role)
        messages.success(request, "The template is back to the default wording.")
        return redirect("staff:email_template", role=role)
    if request.method == "POST":
        form = EmailTemplateForm(request.POST, role=email_role)
        if form.is_valid():
            if request.POST.get("action") == "save":
                template, _created = EmailTemplate.objects.update_or_create(
                    role=role,
                    defaults={
                        "subject": form.cleaned_data["subject"],
                        "body": form.cleaned_data["body"],
                        "updated_by": request.user,
                    },
                )
                log_activity(template, "email_template.saved", actor=request.user, role=role)
                messages.success(request, "Saved. New emails use this wording.")
                return redirect("staff:email_template", role=role)
            preview = _preview(form.cleaned_data["subject"], form.cleaned_data["body"])
    else:
        form = EmailTemplateForm(initial={"subject": subject, "body": body}, role=email_role)
        preview = _preview(subject, body)
    return render(
        request,
        "mail/staff/template_edit.html",
        {
            "role": email_role,
            "form": form,
            "preview": preview,
            "is_edited": is_edited,
            "placeholders": sorted(email_role.allowed().items()),
            "default_subject_body": default_source(role),
        },
    )


def _preview(subject: str, body: str) -> tuple[str, str] | None:
    try:
        return render_source(subject, body, {**common_context(), **sample_context()})
    except TemplateSyntaxError:
        return None
