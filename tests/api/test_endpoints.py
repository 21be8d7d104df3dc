"""The API over HTTP (Django's test client through the whole middleware stack): what an
integration reads, and every way a request is refused, each with its own sentence."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from microintern.api import tokens
from microintern.api.enums import Scope
from microintern.api.models import ApiToken
from microintern.api.queries import pseudonym
from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from tests.api.factories import bearer, make_token
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory, on_the_day

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
ALL = [Scope.MICRO_INTERNSHIPS_READ, Scope.PLACES_READ, Scope.ATTENDANCE_READ]


def get(client, url, made=None, **extra):
    headers = bearer(made) if made else {}
    return client.get(url, **headers, **extra)


def test_the_list_shows_each_micro_internship_with_places_taken(client):
    mi = MicroInternshipFactory(open_now=True, capacity=6)
    taken = ExpressionOfInterestFactory(micro_internship=mi)
    transition_place(taken, PlaceState.OFFERED, reason="Drawn.")
    ExpressionOfInterestFactory(micro_internship=mi)  # received: takes no place
    MicroInternshipFactory()
    response = get(client, "/api/v1/micro-internships", make_token())
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first = body["items"][0]
    assert first["reference"] == mi.reference
    assert first["title"] == mi.challenge.title
    assert first["host_organisation"] == mi.challenge.organisation.name
    assert first["state"] == "open"
    assert (first["capacity"], first["places_taken"]) == (6, 1)
    assert first["day"] == mi.starts_at.astimezone(LONDON).date().isoformat()
    assert datetime.fromisoformat(first["starts_at"]) == mi.starts_at


def test_times_are_in_london_with_their_offset(client):
    # 23:30 UTC on 31 October 2026 is 23:30 in London (GMT), and 23:30 UTC on
    # 1 August is 00:30 the next day (BST): the day is the UK date.
    summer = datetime(2027, 8, 1, 23, 30, tzinfo=ZoneInfo("UTC"))
    with time_machine.travel(datetime(2027, 6, 1, 12, tzinfo=ZoneInfo("UTC")), tick=False):
        mi = MicroInternshipFactory(starts_at=summer)
        made = make_token()
        body = get(client, f"/api/v1/micro-internships/{mi.reference}", made).json()
    assert body["day"] == "2027-08-02"
    assert body["starts_at"] == "2027-08-02T00:30:00+01:00"


def test_filters_by_state_and_uk_dates(client):
    soon = MicroInternshipFactory(open_now=True)
    later = MicroInternshipFactory(starts_at=soon.starts_at + timedelta(days=20))
    made = make_token()
    day = soon.starts_at.astimezone(LONDON).date()
    by_state = get(client, "/api/v1/micro-internships?state=open", made).json()
    assert [i["reference"] for i in by_state["items"]] == [soon.reference]
    by_day = get(client, f"/api/v1/micro-internships?day_from={day}&day_to={day}", made).json()
    assert [i["reference"] for i in by_day["items"]] == [soon.reference]
    after = get(client, f"/api/v1/micro-internships?day_from={day + timedelta(days=1)}", made)
    assert [i["reference"] for i in after.json()["items"]] == [later.reference]


def test_paging(client):
    for _ in range(3):
        MicroInternshipFactory()
    body = get(client, "/api/v1/micro-internships?limit=2&offset=2", make_token()).json()
    assert (body["count"], body["limit"], body["offset"], len(body["items"])) == (3, 2, 2, 1)


def test_places_show_a_pseudonymous_id_and_no_student_number_without_the_scope(client):
    interest = ExpressionOfInterestFactory(access_needs="Step-free access, hearing loop")
    mi = interest.micro_internship
    url = f"/api/v1/micro-internships/{mi.reference}/places"
    body = get(client, url, make_token(Scope.PLACES_READ)).json()
    [place] = body["items"]
    assert place["student"] == {"id": pseudonym(interest.student_id), "student_number": None}
    assert place["state"] == "received"
    text = str(body)
    for private in (interest.student.full_name, interest.student.email, "Step-free", "charity"):
        assert private not in text
    with_numbers = get(client, url, make_token(Scope.PLACES_READ, Scope.STUDENT_NUMBERS)).json()
    assert with_numbers["items"][0]["student"]["student_number"] == interest.student.student_number


def test_the_same_student_has_the_same_id_on_every_micro_internship(client):
    first = ExpressionOfInterestFactory()
    second = ExpressionOfInterestFactory(student=first.student)
    made = make_token(Scope.PLACES_READ)
    ids = {
        get(
            client, f"/api/v1/micro-internships/{i.micro_internship.reference}/places", made
        ).json()["items"][0]["student"]["id"]
        for i in (first, second)
    }
    assert len(ids) == 1


def test_attendance_lists_the_register_with_marks(client):
    mi = MicroInternshipFactory(open_now=True)
    came, stayed_away, waiting = (ExpressionOfInterestFactory(micro_internship=mi) for _ in "abc")
    for place in (came, stayed_away):
        transition_place(place, PlaceState.OFFERED, reason="Drawn.")
        transition_place(place, PlaceState.ACCEPTED)
    with on_the_day(mi):
        transition_place(came, PlaceState.ATTENDED)
        transition_place(stayed_away, PlaceState.NO_SHOW)
        made = make_token(Scope.ATTENDANCE_READ)
        body = get(client, f"/api/v1/micro-internships/{mi.reference}/attendance", made).json()
    marks = {row["id"]: row["attended"] for row in body["items"]}
    assert marks == {came.pk: True, stayed_away.pk: False}
    assert waiting.pk not in marks


def test_no_token_says_how_to_send_one(client):
    response = get(client, "/api/v1/micro-internships")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert "Authorization: Bearer" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_token_is_refused(client):
    response = client.get("/api/v1/micro-internships", HTTP_AUTHORIZATION="Bearer mi_nope")
    assert response.status_code == 401
    assert "not known" in response.json()["detail"]


def test_a_session_does_not_sign_in_to_the_api(staff_client):
    assert staff_client.get("/api/v1/micro-internships").status_code == 401


def test_an_expired_token_says_when_it_expired(client):
    made = make_token(days=2)
    with time_machine.travel(timezone.now() + timedelta(days=3), tick=False):
        response = get(client, "/api/v1/micro-internships", made)
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "token_expired"
    assert "expired on" in body["detail"] and "Careers CRM" in body["detail"]


def test_a_revoked_token_is_refused_at_once(client, make_user):
    made = make_token()
    assert get(client, "/api/v1/micro-internships", made).status_code == 200
    tokens.revoke_token(made.token, actor=make_user("administrator"))
    response = get(client, "/api/v1/micro-internships", made)
    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"
    assert "was revoked on" in response.json()["detail"]


def test_a_missing_scope_is_named(client):
    mi = MicroInternshipFactory()
    made = make_token(Scope.MICRO_INTERNSHIPS_READ)
    for path, scope in (("places", "places:read"), ("attendance", "attendance:read")):
        response = get(client, f"/api/v1/micro-internships/{mi.reference}/{path}", made)
        assert response.status_code == 403
        assert response.json()["code"] == "scope_missing"
        assert f"“{scope}”" in response.json()["detail"]
    response = get(client, "/api/v1/micro-internships", make_token(Scope.PLACES_READ))
    assert "“micro_internships:read”" in response.json()["detail"]


def test_an_unknown_reference_is_a_404_naming_it(client):
    response = get(client, "/api/v1/micro-internships/MI-2031-999", make_token(*ALL))
    assert response.status_code == 404
    assert response.json() == {
        "detail": "No micro-internship has the reference “MI-2031-999”.",
        "code": "not_found",
    }


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("offset=-1", "offset"),
        ("state=sleeping", "state"),
        ("day_from=2026-02-30", "day_from"),
        ("day_to=0", "day_to: Value error, must be a date written YYYY-MM-DD"),
        ("sate=open", "unknown query parameter “sate” (this endpoint takes limit, offset, state"),
        ("day_from=2027-01-02&day_to=2027-01-01", "day_from is after day_to"),
    ],
)
def test_bad_query_parameters_name_the_parameter(client, query, names):
    response = get(client, f"/api/v1/micro-internships?{query}", make_token())
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "bad_input"
    assert names in body["detail"]


def test_the_detail_takes_no_query_parameters(client):
    mi = MicroInternshipFactory()
    response = get(client, f"/api/v1/micro-internships/{mi.reference}?limit=1", make_token())
    assert response.status_code == 422
    assert "unknown query parameter “limit” (it takes none)" in response.json()["detail"]


def test_a_malformed_reference_is_bad_input(client):
    response = get(client, "/api/v1/micro-internships/not-a-reference", make_token())
    assert response.status_code == 422
    assert "reference" in response.json()["detail"]


def test_too_many_requests_get_429_with_retry_after(client, settings):
    settings.MICROINTERN_API = {**settings.MICROINTERN_API, "RATE_LIMIT": 3}
    start = datetime(2027, 3, 1, 9, 0, 15, tzinfo=ZoneInfo("UTC"))
    with time_machine.travel(start, tick=False):
        made, other = make_token(), make_token(name="Timetabling")
        answers = [get(client, "/api/v1/micro-internships", made).status_code for _ in range(4)]
        refused = get(client, "/api/v1/micro-internships", made)
        assert get(client, "/api/v1/micro-internships", other).status_code == 200
    assert answers == [200, 200, 200, 429]
    assert refused["Retry-After"] == "45"
    assert refused.json()["code"] == "rate_limited"
    assert "Try again in 45 seconds" in refused.json()["detail"]
    with time_machine.travel(start + timedelta(seconds=46), tick=False):
        assert get(client, "/api/v1/micro-internships", made).status_code == 200


def test_guessing_tokens_from_one_address_is_slowed_to_429(client, settings):
    settings.MICROINTERN_API = {**settings.MICROINTERN_API, "FAILED_AUTH_LIMIT": 3}
    start = datetime(2027, 3, 1, 9, 0, 15, tzinfo=ZoneInfo("UTC"))
    guess = {"HTTP_AUTHORIZATION": "Bearer mi_guessed"}
    url = "/api/v1/micro-internships"
    with time_machine.travel(start, tick=False):
        made = make_token()
        answers = [client.get(url, **guess).status_code for _ in range(4)]
        refused = client.get(url, **guess)
        from_here = get(client, url, made)
        elsewhere = get(client, url, made, REMOTE_ADDR="192.0.2.9")
    assert answers == [401, 401, 401, 429]
    assert refused["Retry-After"] == "45"
    assert refused.json()["code"] == "rate_limited"
    assert "unknown, revoked or expired API token from this address" in refused.json()["detail"]
    assert from_here.status_code == 429, "a real token from the guessing address waits too"
    assert elsewhere.status_code == 200, "other addresses are not affected"
    with time_machine.travel(start + timedelta(seconds=46), tick=False):
        assert client.get(url, **guess).status_code == 401
        assert get(client, url, made).status_code == 200


def test_last_used_is_noted(client):
    made = make_token()
    assert made.token.last_used_at is None
    get(client, "/api/v1/micro-internships", made)
    assert ApiToken.objects.get(pk=made.token.pk).last_used_at is not None


def test_only_a_fingerprint_of_the_token_is_stored():
    made = make_token()
    row = ApiToken.objects.get(pk=made.token.pk)
    assert made.secret not in str(row.__dict__)
    assert len(row.secret_sha256) == 64


def test_the_schema_is_public_and_lists_every_endpoint(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/v1/micro-internships",
        "/api/v1/micro-internships/{reference}",
        "/api/v1/micro-internships/{reference}/places",
        "/api/v1/micro-internships/{reference}/attendance",
    }


def test_a_path_the_api_does_not_have_is_a_json_404(client):
    for path in ("/api/v1/", "/api/v1/students", "/api/v1/micro-internships/MI-2026-007/x"):
        response = get(client, path, make_token())
        assert response.status_code == 404, path
        assert response.json()["detail"] == f"There is no API endpoint at {path}."


def test_a_reference_with_a_line_break_is_answered_by_the_api_in_json(client):
    """Not by the site's HTML page not found: the API's own address pattern once stopped at
    a line break."""
    response = get(client, "/api/v1/micro-internships/%0AMI-2026-007/attendance", make_token())
    assert response.status_code == 422
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["errors"][0]["parameter"] == "reference"


def test_labels_are_in_english_whatever_language_the_caller_asks_for(client):
    mi = MicroInternshipFactory(open_now=True)
    transition_place(
        ExpressionOfInterestFactory(micro_internship=mi), PlaceState.OFFERED, reason="Drawn."
    )
    client.cookies["language"] = "cy"
    welsh = {"HTTP_ACCEPT_LANGUAGE": "cy"}
    listed = get(client, "/api/v1/micro-internships", make_token(), **welsh).json()
    assert listed["items"][0]["state_label"] == "Open for interest"
    url = f"/api/v1/micro-internships/{mi.reference}/places"
    places = get(client, url, make_token(*ALL), **welsh).json()
    assert places["items"][0]["state_label"] == "Offered a place"
