"""Webhooks: the university's other systems hear of state changes as they happen.

An administrator registers a subscription (an address, the events it wants, a secret made
for it). When a micro-internship or a place changes state, the hook callbacks here
(`ApiConfig.ready()`) write one `WebhookDelivery` per subscription that wants the event,
inside the change's own transaction, and queue `deliver_webhook` to run after commit
(`core.tasks.enqueue_after_commit`: with the database task queue, its row is written in the
same transaction, so the change and its deliveries commit once together): a change rolled
back sends nothing. The worker POSTs the JSON body, signed (`signing`), and logs
every attempt. A 2xx answer delivers it; a timeout, a refused connection, a 5xx or a 429
is tried again after FIRST_RETRY_SECONDS, doubling, up to MAX_ATTEMPTS attempts in all;
any other answer (a 4xx, a redirect) gives up at once, since sending again would not help.
`retry_due` (a periodic job) queues what is due when the task backend cannot defer.
"""

import json
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from microintern.core.domain import log_activity
from microintern.core.errors import Refusal, TransitionNotAllowed
from microintern.core.locking import lock_row
from microintern.core.tasks import enqueue_after_commit, retrying_task

from . import queries, signing
from .enums import DELIVERY_TRANSITIONS, DeliveryState, WebhookEvent
from .models import WebhookAttempt, WebhookDelivery, WebhookSubscription

RETRIED_STATUS = {429}  # besides every 5xx
CANNOT_SIGN = (
    "Not sent: the subscription's secret was sealed with a SECRET_KEY this server no longer "
    "has (put the old key in SECRET_KEY_FALLBACKS, or switch this subscription off and "
    "register the address again for a new secret)."
)
USER_AGENT = "microintern-webhooks/1"


class SubscriptionRefused(Refusal):
    """An administrator's request about a subscription that the rules do not allow."""


def _options() -> dict:
    return settings.MICROINTERN_API


# ---- subscriptions


def create_subscription(*, name: str, url: str, events, actor) -> WebhookSubscription:
    """Register `url` for `events` with a new secret (shown once); logs
    `webhook.subscribed`."""
    wanted = sorted({WebhookEvent(e).value for e in events})
    if not wanted:
        raise SubscriptionRefused("Please choose at least one event.")
    if not url.startswith(("https://", "http://")):
        raise SubscriptionRefused("The address must start with https://.")
    if settings.PRODUCTION and not url.startswith("https://"):
        raise SubscriptionRefused(
            "The address must start with https:// (deliveries are signed, not hidden)."
        )
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            name=name.strip(), url=url, events=wanted, secret=signing.new_secret(), created_by=actor
        )
        log_activity(subscription, "webhook.subscribed", actor=actor, events=wanted)
        _forget_subscriptions()
    return subscription


@transaction.atomic
def disable_subscription(subscription: WebhookSubscription, *, actor) -> WebhookSubscription:
    """Stop sending to `subscription` (deliveries still pending give up at their next
    attempt); logs `webhook.disabled`. Refuses one already disabled."""
    locked = lock_row(WebhookSubscription, subscription.pk)
    if locked.disabled_at is not None:
        raise SubscriptionRefused(f"“{locked.name}” is already switched off.")
    locked.disabled_at = timezone.now()
    locked.save(update_fields=["disabled_at"])
    log_activity(locked, "webhook.disabled", actor=actor)
    _forget_subscriptions()
    return locked


# ---- events, from the hooks


def _active_subscriptions() -> list[WebhookSubscription]:
    """The subscriptions not switched off, read once per atomic block: publishing a round
    moves many places in one transaction, and each move must not cost a query more.

    The list is kept on the connection with what identifies the block it was read in: the
    savepoints then open, and the connection's list of on-commit callbacks, which Django
    replaces with a new one whenever a transaction commits or rolls back or a savepoint
    rolls back. It is used again only while both are unchanged. Making or switching off a
    subscription forgets it too."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return list(WebhookSubscription.objects.filter(disabled_at__isnull=True))
    where = (connection.run_on_commit, tuple(connection.savepoint_ids))
    memo = getattr(connection, "_microintern_webhook_subscriptions", None)
    if memo is not None and memo[0][0] is where[0] and memo[0][1] == where[1]:
        return memo[1]
    subscriptions = list(WebhookSubscription.objects.filter(disabled_at__isnull=True))
    connection._microintern_webhook_subscriptions = (where, subscriptions)
    return subscriptions


def _forget_subscriptions() -> None:
    transaction.get_connection()._microintern_webhook_subscriptions = None


def _wanted(event: str) -> bool:
    """Whether an active subscription wants `event`: the hooks build an event's data only
    then (publishing a round moves thousands of places, usually with nobody subscribed)."""
    return any(event in s.events for s in _active_subscriptions())


def emit(event: WebhookEvent, data: dict) -> list[int]:
    """Write one pending delivery of `event` per active subscription that wants it, in the
    caller's transaction, and queue each to run after commit (`enqueue_after_commit`).
    Returns the deliveries' ids."""
    now = timezone.now()
    wanted = [s for s in _active_subscriptions() if event in s.events]
    ids = []
    for subscription in wanted:
        event_id = "evt_" + uuid.uuid4().hex
        body = json.dumps(
            {"id": event_id, "type": event.value, "created_at": now, "data": data},
            cls=DjangoJSONEncoder,
        )
        delivery = WebhookDelivery.objects.create(
            subscription=subscription,
            event=event.value,
            event_id=event_id,
            body=body,
            next_attempt_at=now,
        )
        ids.append(delivery.pk)
    for delivery_id in ids:
        enqueue_after_commit(deliver_webhook, delivery_id)
    return ids


def after_micro_internship_scheduled(mi) -> None:
    """Hook (`programme.hooks.on_micro_internship_scheduled`): a new micro-internship."""
    emit(WebhookEvent.MICRO_INTERNSHIP_SCHEDULED, queries.micro_internship_data(mi, 0))


def after_micro_internship_change(mi, from_state, to_state) -> None:
    """Hook (`programme.hooks.on_micro_internship_change`): a micro-internship moved."""
    event = f"micro_internship.{to_state}"
    if event in WebhookEvent.values and _wanted(event):
        emit(
            WebhookEvent(event),
            {**queries.micro_internship_data(mi), "from_state": str(from_state)},
        )


EVENTS = frozenset(WebhookEvent.values)


def after_place_change(interest, from_state, to_state) -> None:
    """Hook (`applications.hooks.on_place_change`): a place moved; attended and did not
    attend are one event, `attendance.recorded`. Students appear by pseudonymous id only."""
    if to_state in queries.ATTENDANCE:
        event, data_of = WebhookEvent.ATTENDANCE_RECORDED, queries.attendance_data
    elif f"place.{to_state}" in EVENTS:
        event, data_of = WebhookEvent(f"place.{to_state}"), queries.place_data
    else:
        return
    if not _wanted(event):
        return
    data = data_of(interest, interest.micro_internship.reference, student_number=False)
    del data["student"]["student_number"]
    emit(event, {**data, "from_state": str(from_state)})


# ---- delivery


@transaction.atomic
def transition_delivery(delivery: WebhookDelivery, to_state: DeliveryState, **changes):
    """The one place a delivery's state changes: locks the row, checks the move against
    DELIVERY_TRANSITIONS, saves `changes` with it."""
    locked = lock_row(WebhookDelivery, delivery.pk)
    from_state, to_state = DeliveryState(locked.state), DeliveryState(to_state)
    if to_state not in DELIVERY_TRANSITIONS[from_state]:
        raise TransitionNotAllowed("webhook delivery", from_state.label, to_state.label)
    locked.state = to_state
    for field, value in changes.items():
        setattr(locked, field, value)
    locked.save(update_fields=["state", *changes])
    return locked


def backoff(attempts: int) -> timedelta:
    """Wait after attempt number `attempts` fails: FIRST_RETRY_SECONDS, doubling."""
    return timedelta(seconds=_options()["WEBHOOK_FIRST_RETRY_SECONDS"] * 2 ** (attempts - 1))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer, logged as such; we never follow it


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: bytes, headers: dict, timeout: float) -> tuple[int | None, str]:
    """POST `body`; (status code or None, error sentence or "")."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - the address an administrator registered, http(s) only
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        text = error.read(300).decode("utf-8", "replace").strip()
        return error.code, f"HTTP {error.code}{': ' + text if text else ''}"
    except TimeoutError:
        return None, f"No answer within {timeout:g} seconds (timed out)."
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, TimeoutError):
            return None, f"No answer within {timeout:g} seconds (timed out)."
        return None, f"Could not connect: {reason}"
    except OSError as error:
        return None, f"Could not connect: {error}"


def deliver(delivery_id: int) -> DeliveryState | None:
    """Make one attempt at a pending delivery that is due (called by the worker).

    Claims it in its own transaction (the attempt counted, the next attempt pushed past
    the timeout so no other worker sends it meanwhile), POSTs outside any transaction,
    then logs the attempt and records delivered, pending again (with its back-off) or
    given up. None when there is nothing to do (delivered already, not yet due, gone).
    """
    options = _options()
    timeout = options["WEBHOOK_TIMEOUT_SECONDS"]
    now = timezone.now()
    with transaction.atomic():
        try:
            delivery = lock_row(WebhookDelivery.objects.select_related("subscription"), delivery_id)
        except WebhookDelivery.DoesNotExist:
            return None
        if delivery.state != DeliveryState.PENDING or delivery.next_attempt_at > now:
            return None
        delivery = transition_delivery(
            delivery,
            DeliveryState.PENDING,
            attempts=delivery.attempts + 1,
            next_attempt_at=now + timedelta(seconds=timeout + 60),
        )
    subscription = WebhookSubscription.objects.get(pk=delivery.subscription_id)
    body = delivery.body.encode()
    started = time.monotonic()
    give_up = False
    if subscription.disabled_at is not None:
        status, error, give_up = None, "The subscription was switched off; not sent.", True
    else:
        try:
            secret = subscription.secret
        except InvalidToken:
            secret = None
            status, error, give_up = None, CANNOT_SIGN, True
        if secret is not None:
            headers = {
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                **signing.headers(secret, delivery.event_id, int(now.timestamp()), body),
            }
            status, error = post(subscription.url, body, headers, timeout)
    duration = int((time.monotonic() - started) * 1000)
    return _record(delivery, now, status, error, duration, give_up=give_up)


def _record(delivery, attempted_at, status, error, duration, *, give_up) -> DeliveryState:
    options = _options()
    delivered = status is not None and 200 <= status < 300
    retry = (
        not delivered
        and not give_up
        and (status is None or status >= 500 or status in RETRIED_STATUS)
        and delivery.attempts < options["WEBHOOK_MAX_ATTEMPTS"]
    )
    if status is not None and not error and not delivered:
        error = f"HTTP {status}"
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            attempted_at=attempted_at,
            status_code=status,
            error=error,
            duration_ms=duration,
        )
        if delivered:
            transition_delivery(
                delivery, DeliveryState.DELIVERED, delivered_at=timezone.now(), next_attempt_at=None
            )
            return DeliveryState.DELIVERED
        if not retry:
            transition_delivery(delivery, DeliveryState.FAILED, next_attempt_at=None)
            return DeliveryState.FAILED
        when = timezone.now() + backoff(delivery.attempts)
        transition_delivery(delivery, DeliveryState.PENDING, next_attempt_at=when)
        if deliver_webhook.get_backend().supports_defer:
            later = deliver_webhook.using(run_after=when)
            transaction.on_commit(lambda: later.enqueue(delivery.pk))
        return DeliveryState.PENDING


def retry_due(now=None) -> int:
    """The periodic job: queue every pending delivery whose next attempt is due (a retry
    after its back-off, or one whose worker died mid-attempt). Returns how many."""
    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(
            state=DeliveryState.PENDING, next_attempt_at__lte=now
        ).values_list("pk", flat=True)[:500]
    )
    for delivery_id in due:
        deliver_webhook.enqueue(delivery_id)
    return len(due)


@retrying_task()
def deliver_webhook(delivery_id: int) -> str | None:
    """The task that makes one attempt at a webhook delivery (`deliver`). Defined here,
    next to `deliver`, because `emit` queues it; `api.tasks` lists it."""
    state = deliver(delivery_id)
    return state.value if state else None
