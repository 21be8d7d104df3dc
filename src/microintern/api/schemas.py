"""The API's shapes (pydantic, through django-ninja): what the OpenAPI schema documents
and every answer is checked against."""

from datetime import date, datetime

from ninja import Schema
from pydantic import Field

from microintern.applications.enums import PlaceState
from microintern.programme.enums import MicroInternshipState


class Error(Schema):
    detail: str = Field(description="What went wrong, in a sentence a person can act on")
    code: str = Field(description="A stable word for programs, e.g. token_expired")
    errors: list[dict] | None = Field(None, description="Bad input: each field's problem")


class MicroInternshipOut(Schema):
    reference: str = Field(examples=["MI-2026-007"])
    title: str
    host_organisation: str
    day: date = Field(description="The day, as a UK (Europe/London) date")
    starts_at: datetime = Field(description="Europe/London, with its UTC offset")
    ends_at: datetime
    state: MicroInternshipState
    state_label: str
    capacity: int = Field(ge=1, le=10)
    places_taken: int = Field(ge=0, description="Places offered, accepted or attended")


class MicroInternshipPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[MicroInternshipOut]


class StudentRef(Schema):
    id: str = Field(description="Pseudonymous, stable for a student across micro-internships")
    student_number: str | None = Field(
        description="Only for tokens with the students:student_number scope; otherwise null"
    )


class PlaceOut(Schema):
    id: int
    micro_internship: str
    student: StudentRef
    state: PlaceState
    state_label: str
    state_changed_at: datetime
    offer_expires_at: datetime | None


class PlacePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PlaceOut]


class AttendanceOut(PlaceOut):
    attended: bool | None = Field(description="null until the register is marked")


class AttendancePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AttendanceOut]
