"""The administrators' page: make a token (shown once), revoke it, register a webhook
(its secret shown once), switch it off, read the delivery log. Staff who are not
administrators are refused."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from microintern.api.enums import Scope, WebhookEvent
from microintern.api.models import ApiToken, WebhookAttempt, WebhookDelivery, WebhookSubscription
from tests.accounts.factories import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    sign_in(client, make_user("administrator"))
    return client


def in_a_month() -> str:
    return (timezone.localdate() + timedelta(days=30)).isoformat()


def test_an_administrator_makes_a_token_that_works_and_is_shown_once(admin_client, client):
    page = admin_client.post(
        "/staff/integrations/tokens/",
        {
            "name": "Careers CRM",
            "scopes": [Scope.MICRO_INTERNSHIPS_READ, Scope.PLACES_READ],
            "expires_on": in_a_month(),
        },
    )
    assert page.status_code == 200
    secret = re.search(r'<code id="new-token">(mi_[^<]+)</code>', page.content.decode())[1]
    assert "no-cache" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    token = ApiToken.objects.get()
    assert token.scopes == ["micro_internships:read", "places:read"]
    assert token.created_by.role == "administrator"
    again = admin_client.get("/staff/integrations/").content.decode()
    assert "Careers CRM" in again and secret not in again
    answer = client.get("/api/v1/micro-internships", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "scopes": ["places:read"]}, "This field is required."),
        ({"name": "CRM"}, "Please choose at least one scope."),
        ({"name": "CRM", "scopes": ["places:read"], "expires_on": "2020-01-01"}, "after today"),
        ({"name": "CRM", "scopes": ["places:read"], "expires_on": "soon"}, "YYYY-MM-DD"),
    ],
)
def test_a_token_form_with_a_mistake_says_what(admin_client, data, message):
    data = {"expires_on": in_a_month(), **data}
    page = admin_client.post("/staff/integrations/tokens/", data)
    assert message in page.content.decode()
    assert not ApiToken.objects.exists()


def test_a_token_lasts_at_most_a_year(admin_client):
    far = (timezone.localdate() + timedelta(days=400)).isoformat()
    page = admin_client.post(
        "/staff/integrations/tokens/", {"name": "CRM", "scopes": ["places:read"], "expires_on": far}
    )
    assert "at most a year" in page.content.decode()


def test_revoking_a_token_refuses_its_next_request(admin_client, client):
    page = admin_client.post(
        "/staff/integrations/tokens/",
        {"name": "Timetabling", "scopes": ["micro_internships:read"], "expires_on": in_a_month()},
    )
    secret = re.search(r'<code id="new-token">(mi_[^<]+)</code>', page.content.decode())[1]
    token = ApiToken.objects.get()
    response = admin_client.post(f"/staff/integrations/tokens/{token.pk}/revoke/", follow=True)
    assert "is revoked" in response.content.decode()
    answer = client.get("/api/v1/micro-internships", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert answer.status_code == 401 and answer.json()["code"] == "token_revoked"
    twice = admin_client.post(f"/staff/integrations/tokens/{token.pk}/revoke/", follow=True)
    assert "already revoked" in twice.content.decode()


def test_registering_a_webhook_shows_its_secret_once(admin_client):
    page = admin_client.post(
        "/staff/integrations/webhooks/",
        {
            "name": "Data warehouse",
            "url": "https://dw.example.ac.uk/hooks",
            "events": [WebhookEvent.PLACE_OFFERED, WebhookEvent.ATTENDANCE_RECORDED],
        },
    ).content.decode()
    subscription = WebhookSubscription.objects.get()
    assert f'<code id="new-secret">{subscription.secret}</code>' in page
    assert subscription.secret.startswith("whsec_")
    assert subscription.secret not in admin_client.get("/staff/integrations/").content.decode()
    switched = admin_client.post(
        f"/staff/integrations/webhooks/{subscription.pk}/disable/", follow=True
    )
    assert "is switched off" in switched.content.decode()


def test_a_webhook_needs_a_web_address_and_events(admin_client):
    page = admin_client.post(
        "/staff/integrations/webhooks/", {"name": "DW", "url": "not a url"}
    ).content.decode()
    assert "Please give a full web address" in page
    assert "Please choose at least one event." in page
    assert not WebhookSubscription.objects.exists()


def test_the_delivery_log_shows_every_attempt(admin_client):
    subscription = WebhookSubscription.objects.create(
        name="DW", url="https://dw.example", events=["place.offered"], secret="whsec_AAAA"
    )
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event="place.offered",
        event_id="evt_1",
        body="{}",
        state="pending",
        attempts=2,
        next_attempt_at=timezone.now(),
    )
    now = timezone.now()
    WebhookAttempt.objects.create(delivery=delivery, number=1, attempted_at=now, status_code=500)
    WebhookAttempt.objects.create(
        delivery=delivery, number=2, attempted_at=now, error="No answer within 5 seconds"
    )
    page = admin_client.get(f"/staff/integrations/webhooks/{subscription.pk}/").content.decode()
    assert "HTTP 500" in page and "No answer within 5 seconds" in page
    assert "next try" in page


def test_staff_who_are_not_administrators_are_refused(staff_client):
    assert staff_client.get("/staff/integrations/").status_code == 403
    response = staff_client.post(
        "/staff/integrations/tokens/",
        {"name": "CRM", "scopes": ["places:read"], "expires_on": in_a_month()},
    )
    assert response.status_code == 403
    assert not ApiToken.objects.exists()
