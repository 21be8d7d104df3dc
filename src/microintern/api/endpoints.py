"""The API itself (django-ninja): read-only, token-authenticated, rate limited per token.

Like a view: thin. The token is checked first (`tokens.authenticate`: unknown, revoked,
expired, too many requests), then the endpoint's scope (`tokens.require_scope`), then the
parameters; what it shows comes from `queries`. Every refusal is JSON
`{"detail": <sentence>, "code": <word>}` with its status: 401, 403, 404, 422 or 429 (with
Retry-After).
"""

import re
from datetime import date
from typing import Annotated

from django.http import HttpRequest
from ninja import NinjaAPI, Path, Query, Schema
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer
from pydantic import BeforeValidator, Field

from microintern.accounts.ratelimits import client_address
from microintern.applications.enums import PlaceState
from microintern.programme.enums import MicroInternshipState

from . import queries, tokens
from .enums import Scope
from .schemas import AttendancePage, Error, MicroInternshipOut, MicroInternshipPage, PlacePage

REFERENCE = r"^MI-\d{4}-\d{3,6}$"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value):
    """Only a date written YYYY-MM-DD (pydantic on its own also takes 0 or 1700000000 as
    seconds since 1970, which nobody means in a query string)."""
    if isinstance(value, str) and not ISO_DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


UkDate = Annotated[date, BeforeValidator(_iso_date)]
REFUSALS = {401: Error, 403: Error, 404: Error, 422: Error, 429: Error}


class NotFound(tokens.ApiRefusal):
    status, code = 404, "not_found"


class BadInput(tokens.ApiRefusal):
    status, code = 422, "bad_input"


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; every way it can be wrong has its own sentence."""

    def __call__(self, request: HttpRequest):
        return tokens.authenticate(
            request.headers.get("Authorization", ""), address=client_address(request)
        )

    def authenticate(self, request, token):  # pragma: no cover - __call__ does it all
        return None


api = NinjaAPI(
    title="microintern API",
    version="1",
    description=(
        "Read access for the university's other systems (careers CRM, timetabling, data "
        "warehouse). Each integration has its own token, made by an administrator, with "
        "only the scopes it needs. Times are Europe/London with their UTC offset."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url=None,
    openapi_url=None,  # served by `dispatch`, which loads this module on the first request
)


def _error(request, status: int, detail: str, code: str, errors=None, headers=None):
    body = {"detail": detail, "code": code}
    if errors is not None:
        body["errors"] = errors
    response = api.create_response(request, body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(tokens.ApiRefusal)
def refused(request, error: tokens.ApiRefusal):
    headers = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="microintern"'
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    return _error(request, error.status, str(error), error.code, headers=headers)


@api.exception_handler(AuthenticationError)
def not_authenticated(request, error):
    return _error(
        request, 401, "No API token: send “Authorization: Bearer <token>”.", "not_authenticated"
    )


@api.exception_handler(ValidationError)
def bad_input(request, error: ValidationError):
    problems = []
    for item in error.errors:
        where = ".".join(str(part) for part in item.get("loc", ())[1:]) or "request"
        problems.append({"parameter": where, "message": item.get("msg", "is not valid")})
    sentence = "; ".join(f"{p['parameter']}: {p['message']}" for p in problems)
    return _error(request, 422, f"Bad input — {sentence}.", "bad_input", errors=problems)


class Paging(Schema):
    limit: int = Field(100, ge=1, le=500, description="At most this many items (1–500)")
    offset: int = Field(0, ge=0, le=1_000_000, description="Skip this many items first")


class MicroInternshipFilters(Paging):
    state: MicroInternshipState | None = Field(None, description="Only this state")
    day_from: UkDate | None = Field(None, description="Only on or after this UK date")
    day_to: UkDate | None = Field(None, description="Only on or before this UK date")


class PlaceFilters(Paging):
    state: PlaceState | None = Field(None, description="Only places in this state")


def _known_parameters_only(request, filters: Paging | None) -> None:
    """A misspelt filter (`?sate=open`) would silently show everything: refuse it."""
    known = list(type(filters).model_fields) if filters is not None else []
    unknown = sorted(set(request.GET) - set(known))
    if unknown:
        takes = f"this endpoint takes {', '.join(known)}" if known else "it takes none"
        raise BadInput(f"Bad input — unknown query parameter “{unknown[0][:40]}” ({takes}).")


def _page(rows, paging: Paging, item) -> dict:
    window = rows[paging.offset : paging.offset + paging.limit]
    return {
        "count": rows.count(),
        "limit": paging.limit,
        "offset": paging.offset,
        "items": [item(row) for row in window],
    }


def _micro_internship(reference: str):
    found = queries.micro_internship(reference)
    if found is None:
        raise NotFound(f"No micro-internship has the reference “{reference}”.")
    return found


@api.get(
    "/micro-internships",
    response={200: MicroInternshipPage, **REFUSALS},
    summary="List micro-internships",
    tags=["micro-internships"],
    operation_id="list_micro_internships",
)
def list_micro_internships(request, filters: Query[MicroInternshipFilters]):
    """Every micro-internship, in date order. Scope `micro_internships:read`."""
    tokens.require_scope(request.auth, Scope.MICRO_INTERNSHIPS_READ)
    _known_parameters_only(request, filters)
    if filters.day_from and filters.day_to and filters.day_from > filters.day_to:
        raise BadInput("Bad input — day_from is after day_to, so nothing could match.")
    rows = queries.micro_internships(
        state=filters.state, day_from=filters.day_from, day_to=filters.day_to
    )
    return _page(rows, filters, queries.micro_internship_data)


@api.get(
    "/micro-internships/{reference}",
    response={200: MicroInternshipOut, **REFUSALS},
    summary="One micro-internship",
    tags=["micro-internships"],
    operation_id="get_micro_internship",
)
def get_micro_internship(
    request, reference: str = Path(..., pattern=REFERENCE, examples=["MI-2026-007"])
):
    """One micro-internship by its public reference. Scope `micro_internships:read`."""
    tokens.require_scope(request.auth, Scope.MICRO_INTERNSHIPS_READ)
    _known_parameters_only(request, None)
    return queries.micro_internship_data(_micro_internship(reference))


@api.get(
    "/micro-internships/{reference}/places",
    response={200: PlacePage, **REFUSALS},
    summary="A micro-internship's places",
    tags=["places"],
    operation_id="list_places",
)
def list_places(
    request,
    filters: Query[PlaceFilters],
    reference: str = Path(..., pattern=REFERENCE, examples=["MI-2026-007"]),
):
    """Each student's place and its state; students by pseudonymous id, and by student
    number only with `students:student_number`. Scope `places:read`."""
    tokens.require_scope(request.auth, Scope.PLACES_READ)
    _known_parameters_only(request, filters)
    mi = _micro_internship(reference)
    numbers = Scope.STUDENT_NUMBERS.value in request.auth.scopes
    rows = queries.places(mi, [filters.state] if filters.state else None)
    return _page(
        rows, filters, lambda p: queries.place_data(p, mi.reference, student_number=numbers)
    )


@api.get(
    "/micro-internships/{reference}/attendance",
    response={200: AttendancePage, **REFUSALS},
    summary="A micro-internship's register",
    tags=["attendance"],
    operation_id="list_attendance",
)
def list_attendance(
    request,
    paging: Query[Paging],
    reference: str = Path(..., pattern=REFERENCE, examples=["MI-2026-007"]),
):
    """The day's register: accepted places, and whether each student attended (null until
    marked). Scope `attendance:read`."""
    tokens.require_scope(request.auth, Scope.ATTENDANCE_READ)
    _known_parameters_only(request, paging)
    mi = _micro_internship(reference)
    numbers = Scope.STUDENT_NUMBERS.value in request.auth.scopes
    rows = queries.places(mi, PlaceState.on_the_register())
    return _page(
        rows, paging, lambda p: queries.attendance_data(p, mi.reference, student_number=numbers)
    )
