"""Staff inbox: every inbound message by state and class, the message (sanitised), actions."""

from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from microintern.core.domain import activity_for
from microintern.core.errors import Refusal
from microintern.core.permissions import permission_required

from .. import triage
from ..enums import MessageKind, MessageState
from ..forms import InboxFilterForm, LinkForm, ReplyForm, SetAsideForm
from ..models import InboundMessage
from ..parse import ParsedMessage, parse_message

BACK_OFFICE = "microintern.use_back_office"


@permission_required(BACK_OFFICE)
def inbox(request):
    form = InboxFilterForm(request.GET or None)
    rows = InboundMessage.objects.defer("raw").select_related("student", "micro_internship")
    if not request.GET:  # what needs a person: triage, and interests the sender corrected
        rows = rows.filter(Q(state=MessageState.TRIAGE) | Q(corrected_at__isnull=False))
    elif form.is_valid():
        if form.cleaned_data["state"]:
            rows = rows.filter(state=form.cleaned_data["state"])
        if form.cleaned_data["kind"]:
            rows = rows.filter(kind=form.cleaned_data["kind"])
    counts = dict(InboundMessage.objects.values_list("state").annotate(n=Count("id")))
    kinds = dict(InboundMessage.objects.values_list("kind").annotate(n=Count("id")))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "inbound/staff/inbox.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "showing_triage": not request.GET,
            "counts": [(state, counts.get(state.value, 0)) for state in MessageState],
            "kinds": [(kind, kinds.get(kind.value, 0)) for kind in MessageKind],
        },
    )


def _parsed(message: InboundMessage):
    parsed = parse_message(message.raw_bytes)
    return parsed if isinstance(parsed, ParsedMessage) else None


@permission_required(BACK_OFFICE)
def message_detail(
    request, pk: int, link_form=None, set_aside_form=None, reply_form=None, status=200
):
    message = get_object_or_404(
        InboundMessage.objects.select_related(
            "student", "micro_internship", "interest", "mailbox", "conflicts_with"
        ),
        pk=pk,
    )
    parsed = _parsed(message)
    headers = []
    if parsed is not None:
        headers = [(name, value) for name, values in parsed.headers.items() for value in values]
    return render(
        request,
        "inbound/staff/message.html",
        {
            "message": message,
            "parsed": parsed,
            "headers": headers,
            "attachments": list(enumerate(parsed.attachments)) if parsed else [],
            "link_form": link_form or LinkForm(),
            "set_aside_form": set_aside_form or SetAsideForm(),
            "reply_form": reply_form or ReplyForm(),
            "can_act": message.state in MessageState.reopenable(),
            "activity": activity_for(message),
        },
        status=status,
    )


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    safe = "".join(c for c in filename if c.isalnum() or c in "._- ") or "download"
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@permission_required(BACK_OFFICE)
def raw(request, pk: int):
    message = get_object_or_404(InboundMessage, pk=pk)
    return _download(message.raw_bytes, f"message-{message.pk}.eml", "application/octet-stream")


@permission_required(BACK_OFFICE)
def attachment(request, pk: int, index: int):
    message = get_object_or_404(InboundMessage, pk=pk)
    parsed = _parsed(message)
    if parsed is None or not 0 <= index < len(parsed.attachments):
        raise Http404("No such attachment.")
    item = parsed.attachments[index]
    if not item.allowed or item.content is None:
        raise Http404("This attachment was not kept.")
    return _download(item.content, item.filename, "application/octet-stream")


@require_POST
@permission_required(BACK_OFFICE)
def link(request, pk: int):
    message = get_object_or_404(InboundMessage, pk=pk)
    form = LinkForm(request.POST)
    if not form.is_valid():
        return message_detail(request, pk=pk, link_form=form, status=400)
    outcome = triage.link_to_student(
        message,
        student=form.cleaned_data["student"],
        mi=form.cleaned_data["reference"],
        actor=request.user,
        remember_address=form.cleaned_data["remember_address"],
    )
    if outcome.state in MessageState.became_interest():
        flash.success(request, outcome.reason)
    else:
        flash.error(request, outcome.reason)
    return redirect("staff:inbound_message", pk=pk)


@require_POST
@permission_required(BACK_OFFICE)
def set_aside(request, pk: int):
    message = get_object_or_404(InboundMessage, pk=pk)
    form = SetAsideForm(request.POST)
    if not form.is_valid():
        return message_detail(request, pk=pk, set_aside_form=form, status=400)
    try:
        triage.set_aside(message, reason=form.cleaned_data["reason"], actor=request.user)
    except Refusal as error:
        flash.error(request, str(error))
    else:
        flash.success(request, "The message is set aside.")
    return redirect("staff:inbound_message", pk=pk)


@require_POST
@permission_required(BACK_OFFICE)
def reprocess(request, pk: int):
    message = get_object_or_404(InboundMessage, pk=pk)
    state = triage.process_again(message, actor=request.user)
    message.refresh_from_db()
    flash.info(request, f"Processed again: {MessageState(state).label}. {message.reason}")
    return redirect("staff:inbound_message", pk=pk)


@require_POST
@permission_required(BACK_OFFICE)
def reply(request, pk: int):
    message = get_object_or_404(InboundMessage, pk=pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return message_detail(request, pk=pk, reply_form=form, status=400)
    try:
        sent = triage.reply_to_sender(message, text=form.cleaned_data["text"], actor=request.user)
    except triage.ReplyRefused as error:
        flash.error(request, str(error))
    else:
        flash.success(request, f"Your reply to {sent.to} is in the outbox.")
    return redirect("staff:inbound_message", pk=pk)
