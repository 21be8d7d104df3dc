"""Demo data for the insights dashboard (idempotent): run after `demo`.

For every academic year in which a micro-internship starts, every student becomes part of
that year's eligible population (copying the student record, as an import would). Then a
random 70% answer the equality questionnaire (with some "prefer not to say") and 50% give
research consent (60% of them including their equality answers). Attended students answer
the pre- and end-of-day surveys (with a small average improvement) and hosts answer theirs
(all of the hand-written demo, a seeded few of the demo year: `_surveyed_references`),
so the impact report has figures; from `BULK_SURVEYS_FROM` students (the benchmarks' data
sets) those answers are written in chunks, not through the surveys domain one by one.
Synthetic data only.

Rows are written a chunk per transaction (`core.domain.write_in_chunks`), so on SQLite
pages that write get the write lock between chunks instead of waiting for the whole run
(bench/bench_sqlite_write_lock.py). A run stopped part-way keeps the chunks it wrote.
"""

import random
import secrets

from django.core.management.base import BaseCommand
from django.utils import timezone

from microintern.accounts.models import Student
from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.core.domain import write_in_chunks
from microintern.core.management.commands.demo import YEAR_HOSTS
from microintern.insights import hesa
from microintern.insights.academic_year import AcademicYear
from microintern.insights.consent import CONSENT_WORDING_VERSION
from microintern.insights.models import EqualityMonitoring, PopulationRecord, ResearchConsent
from microintern.insights.population import RECORD_FIELDS
from microintern.programme.models import MicroInternship
from microintern.surveys.domain import invite, record_response
from microintern.surveys.enums import InstrumentKind
from microintern.surveys.instruments import install
from microintern.surveys.models import (
    Answer,
    Instrument,
    InstrumentVersion,
    Invitation,
    Item,
    Response,
)


def _pick(rng, frame: hesa.CodingFrame) -> str:
    choices = [code for code, _ in frame.student_choices()]
    if rng.random() < 0.08:
        return frame.prefer_not_to_say
    return rng.choice([c for c in choices if c != frame.prefer_not_to_say])


class Command(BaseCommand):
    help = "Add population records, equality answers and consent to the demo data."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--years", type=int, default=0, help="Only the latest N years.")

    def handle(self, *args, seed: int, years: int, **options):
        rng = random.Random(seed)
        equality_rng = random.Random(seed + 1)  # its own stream: the rest stays as it was
        starts = MicroInternship.objects.values_list("starts_at", flat=True)
        academic_years = sorted({str(AcademicYear.containing(s)) for s in starts})
        if years:
            academic_years = academic_years[-years:]
        fields = ["pk", *RECORD_FIELDS]
        students = list(Student.objects.values_list(*fields))
        write_in_chunks(
            (
                PopulationRecord(
                    student_id=row[0],
                    academic_year=year,
                    **dict(zip(RECORD_FIELDS, row[1:], strict=True)),
                )
                for year in academic_years
                for row in students
            ),
            lambda chunk: PopulationRecord.objects.bulk_create(chunk, ignore_conflicts=True),
        )
        now = timezone.now()
        equality, consents = [], []
        already = EqualityMonitoring.objects.exists() or ResearchConsent.objects.exists()
        for row in [] if already else students:
            student_id = row[0]
            if rng.random() < 0.7:
                disability = rng.choice(["95"] * 6 + ["51", "55", "54", "98"])
                equality.append(
                    EqualityMonitoring(
                        student_id=student_id,
                        ethnicity=_pick(rng, hesa.ETHNIC),
                        disability_codes=disability,
                        disability_group=hesa.disability_group({disability}),
                        parental_education=_pick(rng, hesa.PARED),
                        care_leaver=_pick(rng, hesa.CARELEAVER),
                        sex=_pick(rng, hesa.SEXID),
                        gender_identity=_pick(rng, hesa.GENDERID),
                        religion=_pick(rng, hesa.RELBLF),
                        sexual_orientation=_pick(rng, hesa.SEXORT),
                        answered_at=now,
                    )
                )
            if rng.random() < 0.5:
                consents.append(
                    ResearchConsent(
                        student_id=student_id,
                        quotes=rng.random() < 0.5,
                        equality=equality_rng.random() < 0.6,
                        wording_version=CONSENT_WORDING_VERSION,
                        given_at=now,
                    )
                )
        write_in_chunks(equality, EqualityMonitoring.objects.bulk_create)
        write_in_chunks(consents, ResearchConsent.objects.bulk_create)
        surveyed = _demo_surveys(rng, in_bulk=len(students) >= BULK_SURVEYS_FROM)
        self.stdout.write(
            self.style.SUCCESS(
                f"Population for {', '.join(academic_years)}; {len(equality)} equality answers, "
                f"{len(consents)} consents, {surveyed} survey responses added."
            )
        )


YEAR_SURVEYED = 3
BULK_SURVEYS_FROM = 10_000
"""From this many students the survey answers are written a chunk at a time, not one
questionnaire at a time through the surveys domain (that took minutes, and queued an
invitation email for every one)."""


def _surveyed_references(rng) -> list[str]:
    """The run micro-internships whose students and hosts answer the demo surveys: all of
    the hand-written demo's and a seeded few of the demo year's, so that `make run` stays
    quick with a year of thousands of students (each answer goes through the surveys
    domain, one by one, and queues its invitation email)."""
    run = MicroInternship.objects.filter(interests__state=PlaceState.ATTENDED).distinct()
    year_hosts = [name for name, _kind, _sector in YEAR_HOSTS]
    in_the_year = run.filter(challenge__organisation__name__in=year_hosts)
    year = sorted(in_the_year.values_list("reference", flat=True))
    hand_written = run.exclude(pk__in=in_the_year.values("pk"))
    return [
        *hand_written.values_list("reference", flat=True),
        *rng.sample(year, min(YEAR_SURVEYED, len(year))),
    ]


def _demo_surveys(rng, *, in_bulk: bool = False) -> int:
    """Pre and post answers for attended demo students, and host answers (once).

    One by one through the surveys domain (each invitation queues its email), or with
    ``in_bulk`` (large generated data sets) a chunk of invitations, responses and answers
    per transaction, without emails or activity-log rows: the same answers, drawn in the
    same order from ``rng``."""
    if Response.objects.exists():
        return 0
    install(Instrument, InstrumentVersion, Item)
    attended = ExpressionOfInterest.objects.filter(
        state=PlaceState.ATTENDED, micro_internship__reference__in=_surveyed_references(rng)
    ).select_related("student", "micro_internship__challenge__contact")
    planned = _planned_answers(rng, attended)
    if in_bulk:
        return write_in_chunks(planned, _write_answered)
    count = 0
    for kind, person, mi, answers in planned:
        who = {"host_contact" if kind == InstrumentKind.HOST else "student": person}
        record_response(invite(kind, **who, micro_internship=mi), answers)
        count += 1
    return count


SURVEYED_INSTRUMENTS = {
    InstrumentKind.STUDENT_PRE: "student-pre",
    InstrumentKind.STUDENT_POST: "student-post",
    InstrumentKind.HOST: "host",
}

COMMENTS = [
    "Working with a real client made me much more confident.",
    "I learned how to turn research into a recommendation.",
    "Presenting to the owner was scary but worth it.",
]


def _planned_answers(rng, attended):
    """(kind, person, micro-internship, answers) for each questionnaire the demo answers: a
    pre and a post survey per attended place (a small average improvement) and a host
    survey per micro-internship, the first time one of its places comes up."""
    items = list(Instrument.objects.get(slug="student-post").current_version.items.all())
    hosts = set()
    for interest in attended.iterator(chunk_size=2000):
        pre = {}
        post = {}
        for item in items:
            if item.response_type != "scale":
                continue
            before = rng.choice([2, 3, 3, 4])
            if item.timing == "before":
                post[item.code] = max(1, before - rng.choice([0, 1]))
            else:
                pre[item.code] = before
                post[item.code] = max(1, min(5, before + rng.choice([-1, 0, 0, 1, 1, 2])))
        post["open_learned"] = rng.choice(COMMENTS)
        mi = interest.micro_internship
        yield InstrumentKind.STUDENT_PRE, interest.student, mi, pre
        yield InstrumentKind.STUDENT_POST, interest.student, mi, post
        if mi.pk not in hosts:
            hosts.add(mi.pk)
            host_answers = {
                "host_value": rng.choice([4, 5]),
                "host_hours": rng.choice([6, 8, 10]),
                "host_again": rng.choice([8, 9, 10]),
                "host_students_view": rng.choice([3, 4, 5]),
                "host_comments": "Fresh ideas and a well-researched presentation.",
                "host_quote_ok": 1,
            }
            yield InstrumentKind.HOST, mi.challenge.contact, mi, host_answers


def _write_answered(chunk) -> None:
    """Write one chunk of planned questionnaires: each an answered invitation, its response
    (not linked to the invitation for an anonymous instrument, submitted on the hour) and
    its answers, as `surveys.domain.invite` and `record_response` store them."""
    versions = {
        kind: Instrument.objects.get(slug=slug).current_version
        for kind, slug in SURVEYED_INSTRUMENTS.items()
    }
    items = {
        (item.version_id, item.code): item
        for item in Item.objects.filter(version__in=[v.pk for v in versions.values()])
    }
    now = timezone.now()
    invitations = Invitation.objects.bulk_create(
        Invitation(
            version=versions[kind],
            micro_internship=mi,
            token=secrets.token_urlsafe(24),
            responded_at=now,
            **{"host_contact" if kind == InstrumentKind.HOST else "student": person},
        )
        for kind, person, mi, _answers in chunk
    )
    responses = Response.objects.bulk_create(
        Response(
            version=invitation.version,
            invitation=None if invitation.version.instrument.anonymous else invitation,
            micro_internship=invitation.micro_internship,
            submitted_at=(
                now.replace(minute=0, second=0, microsecond=0)
                if invitation.version.instrument.anonymous
                else now
            ),
        )
        for invitation in invitations
    )
    Answer.objects.bulk_create(
        Answer(
            response=response,
            item=items[(response.version_id, code)],
            number=value if isinstance(value, int) else None,
            text=value if isinstance(value, str) else "",
        )
        for response, (_kind, _person, _mi, answers) in zip(responses, chunk, strict=True)
        for code, value in answers.items()
        if (response.version_id, code) in items and value not in (None, "")
    )
