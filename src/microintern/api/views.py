"""Administrators: API tokens and webhook subscriptions for the university's other systems,
and the log of every webhook delivery attempt."""

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from microintern.core.domain import activity_for
from microintern.core.permissions import permission_required

from . import tokens, webhooks
from .forms import SubscriptionForm, TokenForm
from .models import ApiToken, WebhookAttempt, WebhookDelivery, WebhookSubscription

MANAGE = "microintern.manage_integrations"


def _page(request, *, token_form=None, subscription_form=None, new_token=None, new_secret=None):
    token_rows = ApiToken.objects.select_related("created_by", "revoked_by")[:200]
    subscriptions = WebhookSubscription.objects.all()
    return render(
        request,
        "api/integrations.html",
        {
            "tokens": token_rows,
            "subscriptions": subscriptions,
            "token_form": token_form or TokenForm(),
            "subscription_form": subscription_form or SubscriptionForm(),
            "new_token": new_token,
            "new_secret": new_secret,
            "activity": activity_for(*token_rows, *subscriptions)[:50],
        },
    )


@never_cache
@permission_required(MANAGE)
def integrations(request):
    return _page(request)


@never_cache
@require_POST
@permission_required(MANAGE)
def create_token(request):
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, token_form=form)
    try:
        made = tokens.create_token(
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=form.expires_at(),
            actor=request.user,
        )
    except tokens.TokenRefused as error:
        form.add_error(None, str(error))
        return _page(request, token_form=form)
    return _page(request, new_token=made)


@require_POST
@permission_required(MANAGE)
def revoke_token(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk)
    try:
        tokens.revoke_token(token, actor=request.user)
    except tokens.TokenRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"“{token.name}” is revoked: its next request is refused.")
    return redirect("staff:integrations")


@never_cache
@require_POST
@permission_required(MANAGE)
def create_subscription(request):
    form = SubscriptionForm(request.POST)
    if not form.is_valid():
        return _page(request, subscription_form=form)
    try:
        made = webhooks.create_subscription(actor=request.user, **form.cleaned_data)
    except webhooks.SubscriptionRefused as error:
        form.add_error(None, str(error))
        return _page(request, subscription_form=form)
    return _page(request, new_secret=made)


@require_POST
@permission_required(MANAGE)
def disable_subscription(request, pk: int):
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    try:
        webhooks.disable_subscription(subscription, actor=request.user)
    except webhooks.SubscriptionRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"“{subscription.name}” is switched off.")
    return redirect("staff:integrations")


@permission_required(MANAGE)
def deliveries(request, pk: int):
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    rows = subscription.deliveries.prefetch_related(
        Prefetch("log", queryset=WebhookAttempt.objects.order_by("number"))
    )[:100]
    return render(
        request,
        "api/deliveries.html",
        {
            "subscription": subscription,
            "deliveries": rows,
            "total": WebhookDelivery.objects.filter(subscription=subscription).count(),
        },
    )
