"""Staff inbox: every inbound message by state and class, the message (sanitised), actions."""

from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from microintern.core.domain import activity_for
from microintern.core.errors import Refusal
from microintern.core.permissions import permission_required

from .. import triage
from ..enums import MessageKind, MessageState, ReasonCode
from ..forms import BulkForm, InboxFilterForm, LinkForm, ReplyForm, SetAsideForm
from ..models import InboundMessage
from ..parse import ParsedMessage, parse_message

BACK_OFFICE = "microintern.use_back_office"


NEEDS_A_PERSON = Q(state__in=[MessageState.TRIAGE, MessageState.QUARANTINED]) | Q(
    corrected_at__isnull=False
)
UNDO_KEY = "inbound_undo"
SHOWN_REFUSALS = 10


def _listing(params: QueryDict):
    """The filter form and the messages it selects; without filters, those needing a person
    (triage, quarantined, and interests the sender corrected)."""
    filters = params.copy()
    filters.pop("page", None)
    form = InboxFilterForm(filters or None)
    rows = InboundMessage.objects.defer("raw").select_related("student", "micro_internship")
    if not filters:
        return form, rows.filter(NEEDS_A_PERSON)
    if form.is_valid():
        wanted = form.cleaned_data
        for field, name in (("state", "state"), ("kind", "kind"), ("reason_code", "reason")):
            if wanted[name]:
                rows = rows.filter(**{field: wanted[name]})
        if wanted["text"]:
            rows = rows.filter(reason__icontains=wanted["text"])
    return form, rows


def _not_listed_counts() -> list[dict]:
    """Quarantined and set-aside messages by class and reason, each with its filter."""
    groups = (
        InboundMessage.objects.filter(state__in=[MessageState.QUARANTINED, MessageState.SET_ASIDE])
        .values("state", "kind", "reason_code")
        .annotate(n=Count("id"))
        .order_by("state", "kind", "reason_code")
    )
    out = []
    for group in groups:
        query = QueryDict(mutable=True)
        query["state"] = group["state"]
        query["kind"] = group["kind"]
        query["reason"] = group["reason_code"]
        out.append(
            {
                "state": MessageState(group["state"]).label,
                "kind": MessageKind(group["kind"]).label if group["kind"] else "Not read",
                "reason": ReasonCode(group["reason_code"]).label if group["reason_code"] else "–",
                "n": group["n"],
                "query": query.urlencode(),
            }
        )
    return out


def _inbox_page(request, params: QueryDict, *, bulk_form=None, status=200):
    form, rows = _listing(params)
    page = Paginator(rows, 50).get_page(params.get("page"))
    counts = dict(InboundMessage.objects.values_list("state").annotate(n=Count("id")))
    kinds = dict(InboundMessage.objects.values_list("kind").annotate(n=Count("id")))
    query = params.copy()
    query.pop("page", None)
    bulk_form = bulk_form or BulkForm(page_ids=[m.pk for m in page])
    ticked = set(bulk_form["selected"].value() or []) if bulk_form.is_bound else set()
    return render(
        request,
        "inbound/staff/inbox.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "showing_triage": not query,
            "counts": [(state, counts.get(state.value, 0)) for state in MessageState],
            "kinds": [(kind, kinds.get(kind.value, 0)) for kind in MessageKind],
            "not_listed": _not_listed_counts(),
            "bulk_form": bulk_form,
            "ticked": {str(pk) for pk in ticked},
            "undo": request.session.get(UNDO_KEY, []),
        },
        status=status,
    )


@permission_required(BACK_OFFICE)
def inbox(request):
    return _inbox_page(request, request.GET)


@require_POST
@permission_required(BACK_OFFICE)
def bulk(request):
    """Set aside, process again or restore the ticked messages (or all on the page)."""
    query = QueryDict(request.POST.get("query", ""))
    form = BulkForm(request.POST, page_ids=request.POST.getlist("page_ids"))
    if not form.is_valid():
        return _inbox_page(request, query, bulk_form=form, status=400)
    ids, action = form.cleaned_data["ids"], form.cleaned_data["action"]
    if action == BulkForm.SET_ASIDE:
        done = triage.set_aside_many(ids, reason=form.cleaned_data["reason"], actor=request.user)
        request.session[UNDO_KEY] = done.changed
        verb = "set aside"
    elif action == BulkForm.RESTORE:
        done = triage.restore_many(ids, actor=request.user)
        request.session.pop(UNDO_KEY, None)
        verb = "restored"
    else:
        done = triage.process_again_many(ids, actor=request.user)
        verb = "processed again"
    n = len(done.changed)
    flash.success(request, f"{n} message{'s' if n != 1 else ''} {verb}.")
    refused = sorted(done.refused.items())
    for pk, why in refused[:SHOWN_REFUSALS]:
        flash.warning(request, f"Message #{pk} not {verb}: {why}")
    if len(refused) > SHOWN_REFUSALS:
        flash.warning(request, f"{len(refused) - SHOWN_REFUSALS} more not {verb}.")
    target = reverse("staff:inbound")
    return redirect(f"{target}?{query.urlencode()}" if query else target)


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
    if message.headers_only:  # its headers are shown; it has no body here to show
        parsed = None
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
def restore(request, pk: int):
    message = get_object_or_404(InboundMessage.objects.defer("raw"), pk=pk)
    try:
        outcome = triage.restore(message, actor=request.user)
    except Refusal as error:
        flash.error(request, str(error))
    else:
        flash.success(request, f"Restored: {outcome.state.label}.")
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
