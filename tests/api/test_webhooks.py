"""Webhooks end to end: a state change in the domain, the delivery queued after commit and
sent by the task (the in-process backend) to a real HTTP server on 127.0.0.1, signed; 5xx
and timeouts retried after their back-off, each attempt logged."""

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from microintern.api import signing, webhooks
from microintern.api.enums import DeliveryState, WebhookEvent
from microintern.api.models import WebhookAttempt, WebhookDelivery
from microintern.applications.domain import transition_place, transition_places
from microintern.applications.enums import PlaceState
from microintern.programme.domain import schedule_micro_internship, transition_micro_internship
from microintern.programme.enums import MicroInternshipState
from tests.api.receiver import Receiver
from tests.applications.factories import ExpressionOfInterestFactory
from tests.hosts.factories import ChallengeFactory
from tests.programme.factories import MicroInternshipFactory, local_day_at, on_the_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def fast(settings):
    settings.MICROINTERN_API = {
        **settings.MICROINTERN_API,
        "WEBHOOK_TIMEOUT_SECONDS": 0.5,
        "WEBHOOK_FIRST_RETRY_SECONDS": 30,
        "WEBHOOK_MAX_ATTEMPTS": 3,
    }


def subscribe(receiver, *events, admin=None):
    return webhooks.create_subscription(
        name="Data warehouse", url=receiver.url, events=events, actor=admin
    )


def payload(request):
    return json.loads(request["body"])


def test_a_cancellation_is_delivered_signed(receiver, fast, django_capture_on_commit_callbacks):
    subscription = subscribe(receiver, WebhookEvent.MICRO_INTERNSHIP_CANCELLED)
    mi = MicroInternshipFactory(open_now=True)
    with django_capture_on_commit_callbacks(execute=True):
        transition_micro_internship(mi, MicroInternshipState.CANCELLED, reason="Host ill.")
    [request] = receiver.received
    sent = payload(request)
    assert sent["type"] == "micro_internship.cancelled"
    assert sent["data"]["reference"] == mi.reference
    assert (sent["data"]["from_state"], sent["data"]["state"]) == ("open", "cancelled")
    now = int(timezone.now().timestamp())
    signing.verify(subscription.secret, request["headers"], request["body"], now)
    with pytest.raises(signing.BadSignature):
        signing.verify(subscription.secret, request["headers"], request["body"] + b" ", now)
    with pytest.raises(signing.BadSignature):
        signing.verify(signing.new_secret(), request["headers"], request["body"], now)
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.DELIVERED
    assert request["headers"]["webhook-id"] == delivery.event_id
    [attempt] = delivery.log.all()
    assert (attempt.number, attempt.status_code, attempt.error) == (1, 200, "")


def schedule():
    starts = local_day_at(40)
    return schedule_micro_internship(
        ChallengeFactory(state="accepted"),
        starts_at=starts,
        ends_at=starts + timedelta(hours=6),
        venue_address="1 High Street",
        interest_opens_at=starts - timedelta(days=30),
        interest_closes_at=starts - timedelta(days=10),
    )


def test_nothing_is_sent_for_a_change_rolled_back(receiver, fast):
    subscribe(receiver, WebhookEvent.MICRO_INTERNSHIP_SCHEDULED)
    schedule()  # the test's transaction is never committed: on_commit never fires
    assert receiver.received == []
    assert WebhookDelivery.objects.get().state == DeliveryState.PENDING


def test_scheduling_is_delivered(receiver, fast, django_capture_on_commit_callbacks):
    subscribe(receiver, WebhookEvent.MICRO_INTERNSHIP_SCHEDULED)
    with django_capture_on_commit_callbacks(execute=True):
        mi = schedule()
    [request] = receiver.received
    assert payload(request)["data"]["reference"] == mi.reference
    assert payload(request)["data"]["places_taken"] == 0


def test_place_and_attendance_events_carry_only_a_pseudonymous_id(
    receiver, fast, django_capture_on_commit_callbacks
):
    subscribe(
        receiver,
        WebhookEvent.PLACE_OFFERED,
        WebhookEvent.PLACE_ACCEPTED,
        WebhookEvent.ATTENDANCE_RECORDED,
    )
    interest = ExpressionOfInterestFactory(access_needs="Hearing loop")
    with django_capture_on_commit_callbacks(execute=True):
        transition_place(interest, PlaceState.OFFERED, reason="Drawn.")
        transition_place(interest, PlaceState.ACCEPTED)
        transition_place(interest, PlaceState.WITHDRAWN)  # not subscribed: nothing sent
    kinds = [payload(r)["type"] for r in receiver.received]
    assert kinds == ["place.offered", "place.accepted"]
    student = interest.student
    for request in receiver.received:
        assert set(payload(request)["data"]["student"]) == {"id"}
        for private in (student.student_number, student.email, student.full_name, "Hearing"):
            assert private not in request["body"].decode()
    attending = ExpressionOfInterestFactory(micro_internship=interest.micro_internship)
    transition_place(attending, PlaceState.OFFERED, reason="Drawn.")
    transition_place(attending, PlaceState.ACCEPTED)
    receiver.received.clear()
    with on_the_day(attending.micro_internship), django_capture_on_commit_callbacks(execute=True):
        transition_place(attending, PlaceState.ATTENDED)
    [marked] = receiver.received
    assert payload(marked)["type"] == "attendance.recorded"
    assert payload(marked)["data"]["attended"] is True


def test_a_5xx_is_retried_after_its_back_off_then_delivered(
    receiver, fast, django_capture_on_commit_callbacks
):
    receiver.script = [500, 503]
    subscribe(receiver, WebhookEvent.MICRO_INTERNSHIP_CANCELLED)
    mi = MicroInternshipFactory(open_now=True)
    start = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        transition_micro_internship(mi, MicroInternshipState.CANCELLED, reason="Host ill.")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 1)
    assert webhooks.retry_due(now=start + timedelta(seconds=10)) == 0  # not yet due
    with time_machine.travel(start + timedelta(seconds=31), tick=False):
        assert webhooks.retry_due() == 1
    with time_machine.travel(start + timedelta(seconds=31 + 61), tick=False):
        assert webhooks.retry_due() == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 3)
    codes = list(delivery.log.values_list("number", "status_code"))
    assert codes == [(1, 500), (2, 503), (3, 200)]
    assert "HTTP 500" in delivery.log.first().error
    ids = {r["headers"]["webhook-id"] for r in receiver.received}
    assert len(receiver.received) == 3 and len(ids) == 1  # the same event every time


def test_a_receiver_that_hangs_times_out_and_is_given_up_after_the_last_attempt(
    receiver, fast, django_capture_on_commit_callbacks
):
    receiver.script = ["hang", 500, "hang"]
    subscribe(receiver, WebhookEvent.MICRO_INTERNSHIP_CANCELLED)
    mi = MicroInternshipFactory(open_now=True)
    start = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        transition_micro_internship(mi, MicroInternshipState.CANCELLED, reason="Host ill.")
    for later in (31, 31 + 61):
        with time_machine.travel(start + timedelta(seconds=later), tick=False):
            webhooks.retry_due()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 3)
    log = list(delivery.log.all())
    assert [a.status_code for a in log] == [None, 500, None]
    assert "timed out" in log[0].error and "0.5 seconds" in log[0].error
    with time_machine.travel(start + timedelta(days=1), tick=False):
        assert webhooks.retry_due() == 0  # given up: never sent again


def test_a_4xx_is_not_retried(receiver, fast, django_capture_on_commit_callbacks):
    receiver.script = [410]
    subscribe(receiver, WebhookEvent.MICRO_INTERNSHIP_CANCELLED)
    with django_capture_on_commit_callbacks(execute=True):
        transition_micro_internship(
            MicroInternshipFactory(open_now=True), MicroInternshipState.CANCELLED, reason="x"
        )
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.FAILED
    assert WebhookAttempt.objects.get().status_code == 410


def test_a_refused_connection_is_logged_and_retried(fast, django_capture_on_commit_callbacks):
    with Receiver() as closed:
        url = closed.url
    webhooks.create_subscription(
        name="Gone", url=url, events=[WebhookEvent.MICRO_INTERNSHIP_CANCELLED], actor=None
    )
    with django_capture_on_commit_callbacks(execute=True):
        transition_micro_internship(
            MicroInternshipFactory(open_now=True), MicroInternshipState.CANCELLED, reason="x"
        )
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.PENDING
    assert "Could not connect" in delivery.log.get().error


def test_a_switched_off_subscription_hears_nothing_more(
    receiver, fast, django_capture_on_commit_callbacks, make_user
):
    subscription = subscribe(receiver, WebhookEvent.MICRO_INTERNSHIP_CANCELLED)
    webhooks.disable_subscription(subscription, actor=make_user("administrator"))
    with django_capture_on_commit_callbacks(execute=True):
        transition_micro_internship(
            MicroInternshipFactory(open_now=True), MicroInternshipState.CANCELLED, reason="x"
        )
    assert receiver.received == [] and not WebhookDelivery.objects.exists()
    with pytest.raises(webhooks.SubscriptionRefused, match="already switched off"):
        webhooks.disable_subscription(subscription, actor=None)


def test_backoff_doubles(fast):
    assert [webhooks.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]


def test_a_subscription_needs_events_and_a_web_address():
    with pytest.raises(webhooks.SubscriptionRefused, match="at least one event"):
        webhooks.create_subscription(name="x", url="https://a.example", events=[], actor=None)
    with pytest.raises(webhooks.SubscriptionRefused, match="https://"):
        webhooks.create_subscription(
            name="x", url="ftp://a.example", events=["place.offered"], actor=None
        )


def test_the_verification_example_in_the_docs_verifies_a_real_delivery(
    receiver, fast, django_capture_on_commit_callbacks
):
    docs = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    example = re.search(r"```python\n(.*?)```", docs, re.S)[1]
    namespace: dict = {}
    exec(example, namespace)  # noqa: S102 - our own documentation's example
    subscription = subscribe(receiver, WebhookEvent.MICRO_INTERNSHIP_CANCELLED)
    with django_capture_on_commit_callbacks(execute=True):
        transition_micro_internship(
            MicroInternshipFactory(open_now=True), MicroInternshipState.CANCELLED, reason="x"
        )
    [request] = receiver.received
    with time_machine.travel(timezone.now(), tick=False):
        namespace["verify"](subscription.secret, request["headers"], request["body"])
        with pytest.raises(ValueError, match="bad signature"):
            namespace["verify"](subscription.secret, request["headers"], request["body"][:-1])


def test_subscriptions_are_read_once_per_block_and_forgotten_on_rollback(receiver, fast):
    mi = MicroInternshipFactory(open_now=True)
    places = [ExpressionOfInterestFactory(micro_internship=mi) for _ in range(3)]
    with transaction.atomic():
        subscription = subscribe(receiver, WebhookEvent.PLACE_WAITLISTED)
        with CaptureQueriesContext(connection) as queries:
            transition_places([(place, PlaceState.WAITLISTED, "") for place in places])
    reads = [q for q in queries if 'FROM "api_webhooksubscription"' in q["sql"]]
    assert len(reads) == 1
    assert WebhookDelivery.objects.count() == 3
    try:
        with transaction.atomic():
            webhooks.disable_subscription(subscription, actor=None)
            webhooks.emit(WebhookEvent.PLACE_WAITLISTED, {})  # memo made while switched off
            raise RuntimeError("undo")
    except RuntimeError:
        pass
    with transaction.atomic():
        webhooks.emit(WebhookEvent.PLACE_WAITLISTED, {})
    assert WebhookDelivery.objects.count() == 4  # the rollback's memo was not used


def test_the_secret_is_sealed_in_the_database_and_still_signs(
    receiver, fast, django_capture_on_commit_callbacks
):
    subscription = subscribe(receiver, WebhookEvent.MICRO_INTERNSHIP_CANCELLED)
    secret = subscription.secret
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_webhooksubscription")
        stored = repr(cursor.fetchall())
    assert secret.startswith("whsec_")
    assert secret not in stored
    assert secret.removeprefix("whsec_") not in stored
    mi = MicroInternshipFactory(open_now=True)
    with django_capture_on_commit_callbacks(execute=True):
        transition_micro_internship(mi, MicroInternshipState.CANCELLED, reason="Host ill.")
    [request] = receiver.received
    signing.verify(secret, request["headers"], request["body"], int(timezone.now().timestamp()))


def test_a_rotated_secret_key_keeps_signing_with_the_old_one_as_fallback(
    receiver, fast, settings, django_capture_on_commit_callbacks
):
    subscription = subscribe(receiver, WebhookEvent.MICRO_INTERNSHIP_CANCELLED)
    secret = subscription.secret
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-" + "x" * 50
    mi = MicroInternshipFactory(open_now=True)
    with django_capture_on_commit_callbacks(execute=True):
        transition_micro_internship(mi, MicroInternshipState.CANCELLED, reason="Host ill.")
    [request] = receiver.received
    signing.verify(secret, request["headers"], request["body"], int(timezone.now().timestamp()))


def test_a_secret_sealed_with_a_lost_key_is_not_sent_and_says_why(
    receiver, fast, settings, django_capture_on_commit_callbacks
):
    subscribe(receiver, WebhookEvent.MICRO_INTERNSHIP_CANCELLED)
    settings.SECRET_KEY = "a-new-key-" + "x" * 50
    settings.SECRET_KEY_FALLBACKS = []
    mi = MicroInternshipFactory(open_now=True)
    with django_capture_on_commit_callbacks(execute=True):
        transition_micro_internship(mi, MicroInternshipState.CANCELLED, reason="Host ill.")
    assert receiver.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.FAILED, "not retried: no later attempt can open it"
    [attempt] = delivery.log.all()
    assert "SECRET_KEY_FALLBACKS" in attempt.error
    assert attempt.status_code is None


def test_with_the_database_queue_a_delivery_is_queued_in_the_changes_transaction(
    receiver, worker_queue
):
    """The change, its delivery row and the task that sends it commit together, or none."""
    subscribe(receiver, WebhookEvent.MICRO_INTERNSHIP_SCHEDULED)
    queued = DBTaskResult.objects.filter(task_path__endswith="deliver_webhook")
    with transaction.atomic():
        schedule()
        assert queued.count() == 1  # written before the commit, not by an on-commit callback
        transaction.set_rollback(True)
    assert not queued.exists()
    assert not WebhookDelivery.objects.exists()
    assert receiver.received == []
