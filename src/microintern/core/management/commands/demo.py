"""Load realistic synthetic demo data (idempotent), or a large generated data set.

No transaction holds the database for long (on SQLite each one holds its single write
lock; bench/bench_sqlite_write_lock.py): the hand-written demo is one short transaction,
its passwords hashed before it; the demo year and `--students` are written a chunk per
transaction (`core.domain.write_in_chunks`). The same seed on the same day gives the same
rows as when the year was one transaction; a year stopped part-way keeps the chunks it
wrote.
"""

import random
from datetime import datetime, time, timedelta

from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from microintern.accounts.enums import FeeStatus, Role, StudyLevel, StudyMode
from microintern.accounts.models import Student, User
from microintern.applications.enums import PlaceState, Source
from microintern.applications.models import ExpressionOfInterest
from microintern.core.domain import WRITE_CHUNK_ROWS, write_in_chunks
from microintern.hosts.enums import ChallengeState, OrganisationKind, SizeBand
from microintern.hosts.models import Challenge, HostContact, Organisation
from microintern.programme.enums import MicroInternshipState
from microintern.programme.models import MicroInternship

DEMO_PASSWORD = "micro-demo-2026"  # noqa: S105 - printed for the demo; never used in production
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DP"  # noqa: S105 - demo staff authenticator
DEMO_LOGINS = [
    ("student", "amira.hassan@example.ac.uk", Role.STUDENT, "Amira Hassan"),
    ("host", "jo@riversidefoodbank.org.uk", Role.HOST, "Jo Whitfield"),
    ("staff", "staff@example.ac.uk", Role.STAFF, "Priya Shah"),
    ("researcher", "researcher@example.ac.uk", Role.RESEARCHER, "Dr Tom Okafor"),
    ("administrator", "admin@example.ac.uk", Role.ADMINISTRATOR, "Sam Lee"),
]

SCHOOLS = {
    "Business School": ["BA Business Management", "BSc Accounting and Finance", "BA Marketing"],
    "School of Computing": ["BSc Computer Science", "BSc Data Science"],
    "School of Social Sciences": ["BSc Psychology", "BA Sociology", "BSc Economics"],
    "School of Arts": ["BA English Literature", "BA Media and Communication", "BA History"],
    "School of Health": ["BSc Nursing", "BSc Sport and Exercise Science"],
}
FIRST_NAMES = [
    "Amira",
    "Ben",
    "Chloe",
    "Dev",
    "Ella",
    "Femi",
    "Grace",
    "Hamza",
    "Isla",
    "Jun",
    "Kofi",
    "Lena",
    "Mateo",
    "Nia",
    "Oscar",
    "Priya",
    "Qasim",
    "Rosa",
    "Sana",
    "Theo",
    "Uma",
    "Vikram",
    "Wen",
    "Xavier",
    "Yara",
    "Zain",
    "Aisha",
    "Bilal",
    "Carys",
    "Dara",
    "Eilidh",
    "Farah",
    "Gabriel",
    "Hana",
    "Idris",
    "Jade",
    "Kian",
    "Leah",
    "Malik",
    "Noor",
    "Olu",
    "Petra",
    "Rhys",
    "Sofia",
    "Tariq",
    "Ugo",
    "Vera",
    "Will",
]
LAST_NAMES = [
    "Hassan",
    "Taylor",
    "Nguyen",
    "Patel",
    "Okafor",
    "Smith",
    "Khan",
    "Jones",
    "Evans",
    "Chen",
    "Mensah",
    "Kowalski",
    "Garcia",
    "Williams",
    "Ali",
    "Brown",
    "Davies",
    "Wilson",
    "Ahmed",
    "Murphy",
    "Rahman",
    "Thomas",
    "Roberts",
    "Singh",
    "Lewis",
    "Osei",
]

DEMO_PROGRAMME = [
    # (organisation, kind, sector, size, challenge title, question, days from today, state,
    #  interests, attended, no-shows)
    (
        "Riverside Community Food Bank",
        OrganisationKind.CHARITY,
        "Community and social care",
        SizeBand.SMALL,
        "Options for our social media strategy",
        "How can we use social media to recruit younger volunteers and tell donors what "
        "their support achieves, with two hours a week of staff time?",
        -40,
        MicroInternshipState.EVALUATED,
        22,
        9,
        1,
    ),
    (
        "Bean & Leaf Café",
        OrganisationKind.BUSINESS,
        "Hospitality",
        SizeBand.MICRO,
        "Where should we expand next?",
        "We want a second café. Which of three neighbourhoods should we choose, and why?",
        -20,
        MicroInternshipState.COMPLETED,
        25,
        10,
        0,
    ),
    (
        "Northgate Youth Theatre",
        OrganisationKind.CHARITY,
        "Arts and culture",
        SizeBand.MICRO,
        "Reaching families who have never been to the theatre",
        "What would make our Saturday workshops feel welcoming to families new to theatre?",
        10,
        MicroInternshipState.SELECTION_PUBLISHED,
        18,
        0,
        0,
    ),
    (
        "Greenway Bikes",
        OrganisationKind.SOCIAL_ENTERPRISE,
        "Transport and repair",
        SizeBand.SMALL,
        "Pricing a repair subscription",
        "Would commuters pay a monthly fee for bike repairs, and at what price?",
        30,
        MicroInternshipState.OPEN,
        12,
        0,
        0,
    ),
    (
        "City Libraries",
        OrganisationKind.PUBLIC_BODY,
        "Public services",
        SizeBand.LARGE,
        "Study spaces for commuting students",
        "How could our branches better serve students who commute and study between shifts?",
        60,
        MicroInternshipState.DRAFT,
        0,
        0,
        0,
    ),
]


class Command(BaseCommand):
    help = "Load demo data (idempotent). With --students N, also generate N students."

    def add_arguments(self, parser):
        parser.add_argument("--students", type=int, default=0, help="Generate N extra students.")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--year-students",
            type=int,
            default=YEAR_STUDENTS,
            help="Students in the realistic year of the school (0: none).",
        )

    def handle(self, *args, students: int, seed: int, year_students: int, **options):
        rng = random.Random(seed)
        if User.objects.filter(email=DEMO_LOGINS[2][1]).exists():
            self.stdout.write("Demo data already loaded.")
        else:
            passwords = _hashed_passwords()  # slow on purpose: before the transaction
            with transaction.atomic():
                load_demo(rng, passwords)
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        year_loaded = Student.objects.filter(student_number__startswith=YEAR_PREFIX).exists()
        if year_students and not year_loaded:
            started = timezone.now()
            summary = generate_year(year_students, random.Random(seed + 1))
            seconds = (timezone.now() - started).total_seconds()
            self.stdout.write(self.style.SUCCESS(f"{summary} in {seconds:.1f} s."))
        if students:
            started = timezone.now()
            generate_large(students, rng, self.stdout)
            seconds = (timezone.now() - started).total_seconds()
            self.stdout.write(
                self.style.SUCCESS(f"Generated {students} students in {seconds:.1f} s.")
            )


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def _random_student_fields(rng: random.Random) -> dict:
    school = rng.choice(list(SCHOOLS))
    international = rng.random() < 0.2
    imd = None if international else rng.choices([1, 2, 3, 4, 5], [25, 22, 20, 18, 15])[0]
    return {
        "school": school,
        "programme": rng.choice(SCHOOLS[school]),
        "level": rng.choices(
            [StudyLevel.UNDERGRADUATE, StudyLevel.POSTGRADUATE_TAUGHT, StudyLevel.FOUNDATION],
            [80, 15, 5],
        )[0],
        "year_of_study": rng.choice([1, 2, 2, 3, 3]),
        "mode": StudyMode.PART_TIME if rng.random() < 0.12 else StudyMode.FULL_TIME,
        "fee_status": FeeStatus.INTERNATIONAL if international else FeeStatus.HOME,
        "imd_quintile": imd,
        "polar4_quintile": None if international else rng.randint(1, 5),
        "tundra_quintile": None if international else rng.randint(1, 5),
        "care_experienced": rng.random() < 0.03,
        "first_in_family": rng.random() < 0.4,
        "carer": rng.random() < 0.08,
        "commuter": rng.random() < 0.3,
        "record_imported_at": timezone.now(),
    }


def _hashed_passwords() -> dict[str, str]:
    """The demo password hashed for each login that signs in with one (a salt each)."""
    return {
        key: make_password(DEMO_PASSWORD)
        for key, _email, role, _name in DEMO_LOGINS
        if role in Role.signing_in_with_password()
    }


def load_demo(rng: random.Random, passwords: dict[str, str] | None = None) -> None:
    """Create the demo people, hosts, challenges, micro-internships and interest.

    `passwords` are the logins' hashed passwords (`_hashed_passwords`, hashed before the
    caller's transaction: hashing is slow by design); by default they are hashed here."""
    passwords = _hashed_passwords() if passwords is None else passwords
    users = {}
    for key, email, role, name in DEMO_LOGINS:
        password = passwords.get(key)
        users[key] = User.objects.create(
            email=email,
            password=password or make_password(None),
            full_name=name,
            role=role,
            is_staff=role == Role.ADMINISTRATOR,
            is_superuser=role == Role.ADMINISTRATOR,
        )
        if password:
            TOTP.activate(users[key], DEMO_TOTP_SECRET)

    students = [
        Student.objects.create(
            user=users["student"],
            student_number="20260001",
            email=users["student"].email,
            full_name="Amira Hassan",
            preferred_name="Amira",
            **{**_random_student_fields(rng), "programme": "BA Business Management"},
        )
    ]
    for number in range(2, 91):
        first, last = _person(rng)
        students.append(
            Student.objects.create(
                student_number=f"2026{number:04d}",
                email=f"{first.lower()}.{last.lower()}{number}@example.ac.uk",
                full_name=f"{first} {last}",
                **_random_student_fields(rng),
            )
        )

    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    for index, row in enumerate(DEMO_PROGRAMME, start=1):
        (org_name, kind, sector, size, title, question, offset, state, n_interest, n_att, n_ns) = (
            row
        )
        org = Organisation.objects.create(
            name=org_name,
            kind=kind,
            sector=sector,
            size_band=size,
            address=f"{index * 12} High Street\nMidtown\nMD{index} 4AB",
        )
        contact_user = users["host"] if index == 1 else None
        contact = HostContact.objects.create(
            organisation=org,
            user=contact_user,
            name="Jo Whitfield" if index == 1 else "{} {}".format(*_person(rng)),
            email=contact_user.email if contact_user else f"contact{index}@host{index}.example",
            job_title="Volunteer coordinator" if kind == OrganisationKind.CHARITY else "Owner",
        )
        challenge = Challenge.objects.create(
            organisation=org,
            contact=contact,
            title=title,
            context=f"{org_name} is a {kind.label.lower()} in {sector.lower()}.",
            question=question,
            good_outcome="Three practical options with their costs, and a recommendation.",
            subject_area=sector,
            state=ChallengeState.SCHEDULED,
        )
        day = today + timedelta(days=offset)
        starts = timezone.make_aware(datetime.combine(day, time(9, 30)), tz)
        opens = starts - timedelta(days=35)
        closes = starts - timedelta(days=10)
        mi = MicroInternship.objects.create(
            challenge=challenge,
            reference=f"MI-{day.year}-{index:03d}",
            starts_at=starts,
            ends_at=starts.replace(hour=16, minute=30),
            venue_address=org.address,
            accessibility_notes="Step-free entrance; quiet room available on request.",
            travel_notes="Five minutes' walk from Midtown bus station (routes 4, 12 and 27).",
            what_to_bring="A laptop if you have one (we can lend you one).",
            capacity=10,
            interest_opens_at=opens,
            interest_closes_at=closes,
            facilitator=users["staff"],
            state=state,
        )
        _demo_interests(rng, mi, students, n_interest, n_att, n_ns, state, closes)

    for title, state, reason in [
        ("Making our shop accessible online", ChallengeState.PROPOSED, ""),
        (
            "Redesigning our logo",
            ChallengeState.DECLINED,
            "A design brief suits a design course better; we have suggested one.",
        ),
    ]:
        org = Organisation.objects.create(
            name=f"{title.split()[-1].title()} Works",
            kind=OrganisationKind.BUSINESS,
            sector="Retail",
            size_band=SizeBand.MICRO,
            address="1 Market Square\nMidtown",
        )
        first, last = _person(rng)
        contact = HostContact.objects.create(
            organisation=org, name=f"{first} {last}", email=f"{first.lower()}@{org.pk}.example"
        )
        Challenge.objects.create(
            organisation=org,
            contact=contact,
            title=title,
            context="A small independent shop.",
            question=title + "?",
            good_outcome="A short list of practical next steps.",
            state=state,
            decline_reason=reason,
        )


def _demo_interests(rng, mi, students, n_interest, n_attended, n_no_show, mi_state, closes):
    chosen = rng.sample(students[1:], n_interest)
    if mi.reference.endswith("003") or mi.reference.endswith("004"):
        chosen[0] = students[0]  # the demo student has an offer and a pending interest
    seats = mi.capacity
    for position, student in enumerate(chosen):
        received = closes - timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600))
        if mi_state == MicroInternshipState.OPEN:
            state = PlaceState.RECEIVED
            received = min(received, timezone.now() - timedelta(hours=position + 1))
        elif mi_state == MicroInternshipState.SELECTION_PUBLISHED:
            state = (
                PlaceState.OFFERED
                if position == 0
                else PlaceState.ACCEPTED
                if position < seats
                else PlaceState.WAITLISTED
                if position < seats + 3
                else PlaceState.NOT_SELECTED
            )
        elif position < n_attended:
            state = PlaceState.ATTENDED
        elif position < n_attended + n_no_show:
            state = PlaceState.NO_SHOW
        else:
            state = PlaceState.NOT_SELECTED
        ExpressionOfInterest.objects.create(
            student=student,
            micro_internship=mi,
            statement=rng.choice(
                [
                    "I volunteer at a food bank and want to see how a charity plans its work.",
                    "I commute and work weekends, so a one-day project is something I can do.",
                    "I would like real experience with a client before my final year.",
                    "I am an international student and want to understand UK workplaces.",
                ]
            ),
            source=Source.EMAIL if rng.random() < 0.3 else Source.WEB,
            received_at=received,
            verified_at=received,
            state=state,
            state_changed_at=min(closes + timedelta(days=1), timezone.now()),
            offer_expires_at=timezone.now() + timedelta(hours=48)
            if state == PlaceState.OFFERED
            else None,
        )


YEAR_STUDENTS = 4000
YEAR_PREFIX = "Y"
YEAR_HOSTS = [
    ("Canalside Community Café", OrganisationKind.SOCIAL_ENTERPRISE, "Hospitality"),
    ("Midtown Credit Union", OrganisationKind.BUSINESS, "Finance"),
    ("Northgate Youth Trust", OrganisationKind.CHARITY, "Community"),
    ("Brightwater Brewing", OrganisationKind.BUSINESS, "Food and drink"),
    ("Midtown Museum Friends", OrganisationKind.CHARITY, "Arts"),
    ("Hartley & Sons Joinery", OrganisationKind.BUSINESS, "Construction"),
    ("Riverside Housing Co-op", OrganisationKind.SOCIAL_ENTERPRISE, "Housing"),
    ("Midtown Borough Council", OrganisationKind.PUBLIC_BODY, "Public services"),
    ("Greenway Cycles", OrganisationKind.BUSINESS, "Retail"),
    ("Open Door Advice Centre", OrganisationKind.CHARITY, "Advice"),
    ("Pixel Forge Studio", OrganisationKind.BUSINESS, "Digital"),
    ("Hillside Care Partnership", OrganisationKind.SOCIAL_ENTERPRISE, "Health"),
]
YEAR_QUESTIONS = [
    "How could we reach more customers aged 18 to 30?",
    "Which of three new services should we try first?",
    "Where should we look for volunteers and how should we keep them?",
    "How do we measure the difference we make, simply?",
]


def _interest_weight(student: Student) -> float:
    """How likely a student is to say they are interested, relative to others: the demo
    year differs by group as a real one does, so the dashboard has something to show."""
    weight = 1.0
    if student.fee_status == FeeStatus.INTERNATIONAL:
        weight *= 1.6
    if student.first_in_family:
        weight *= 1.2
    if student.carer:
        weight *= 0.6
    if student.mode == StudyMode.PART_TIME:
        weight *= 0.5
    if student.year_of_study == 1:
        weight *= 0.7
    return weight


def generate_year(count: int, rng: random.Random) -> str:
    """A realistic year of one business school: `count` students, twelve
    hosts and about three micro-internships a month on Wednesdays since the last academic
    year began (a full year from 1 August, and this one so far). The past ones have run
    (10 places, about 9 in 10 attended, the rest of the interest not selected); the next
    few are open for interest or still drafts. Who says they are interested differs by
    group (`_interest_weight`). Deterministic for one `rng` seed and one day. Students and
    interest are written a chunk per transaction, the hosts and micro-internships in one
    short transaction each. Returns a summary."""
    write_in_chunks(
        (
            Student(
                student_number=f"{YEAR_PREFIX}{n:07d}",
                email=f"year.student{n}@example.ac.uk",
                full_name="{} {}".format(*_person(rng)),
                **_random_student_fields(rng),
            )
            for n in range(count)
        ),
        Student.objects.bulk_create,
        size=WRITE_CHUNK_ROWS,
    )
    students = list(Student.objects.filter(student_number__startswith=YEAR_PREFIX))
    weights = [_interest_weight(s) for s in students]
    today = timezone.localdate()
    this_year_start = today.replace(month=8, day=1)
    if this_year_start > today:
        this_year_start = this_year_start.replace(year=today.year - 1)
    year_start = this_year_start.replace(year=this_year_start.year - 1)  # the last full year
    tz = timezone.get_current_timezone()
    with transaction.atomic():  # a few dozen rows
        hosts = _year_hosts(rng)
    mis, day, number = [], year_start + timedelta(days=14), 100
    while day <= today + timedelta(days=45):
        if day.weekday() == 2:  # Wednesdays, as the Business Clinic runs them
            number += 1
            starts = timezone.make_aware(datetime.combine(day, time(9, 30)), tz)
            opens, closes = starts - timedelta(days=35), starts - timedelta(days=10)
            past = day < today
            state = (
                MicroInternshipState.EVALUATED
                if past
                else MicroInternshipState.OPEN
                if opens <= timezone.now() < closes
                else MicroInternshipState.CLOSED
                if closes <= timezone.now()
                else MicroInternshipState.DRAFT
            )
            mis.append(
                MicroInternship(
                    challenge=hosts[number % len(hosts)],
                    reference=f"MI-{day.year}-{number:03d}",
                    starts_at=starts,
                    ends_at=starts.replace(hour=16, minute=30),
                    venue_address=hosts[number % len(hosts)].organisation.address,
                    capacity=10,
                    interest_opens_at=opens,
                    interest_closes_at=closes,
                    state=state,
                )
            )
            day += timedelta(days=rng.choice([7, 7, 14]))
        else:
            day += timedelta(days=1)
    with transaction.atomic():
        MicroInternship.objects.bulk_create(mis)
    interests = []
    for mi in MicroInternship.objects.filter(reference__in=[m.reference for m in mis]):
        wanted = rng.randint(14, 32)
        applicants = list(dict.fromkeys(rng.choices(students, weights, k=wanted * 2)))[:wanted]
        run = mi.state == MicroInternshipState.EVALUATED
        for position, student in enumerate(applicants):
            received = mi.interest_closes_at - timedelta(
                days=rng.randint(1, 20), minutes=rng.randint(0, 600)
            )
            if not run:
                state = PlaceState.RECEIVED
                received = min(received, timezone.now() - timedelta(hours=position + 1))
            elif position < mi.capacity:
                state = PlaceState.ATTENDED if rng.random() < 0.9 else PlaceState.NO_SHOW
            else:
                state = PlaceState.NOT_SELECTED
            interests.append(
                ExpressionOfInterest(
                    student=student,
                    micro_internship=mi,
                    statement="I would like real experience with a client.",
                    source=Source.EMAIL if rng.random() < 0.3 else Source.WEB,
                    received_at=received,
                    verified_at=received,
                    state=state,
                    state_changed_at=min(mi.interest_closes_at, timezone.now()),
                )
            )
    write_in_chunks(interests, ExpressionOfInterest.objects.bulk_create, size=WRITE_CHUNK_ROWS)
    return (
        f"A year of {count} students: {len(mis)} micro-internships, "
        f"{len(interests)} expressions of interest"
    )


def _year_hosts(rng: random.Random) -> list[Challenge]:
    """The demo year's twelve hosts, each with a contact and a challenge."""
    hosts = []
    for index, (name, kind, sector) in enumerate(YEAR_HOSTS, start=1):
        org = Organisation.objects.create(
            name=name,
            kind=kind,
            sector=sector,
            size_band=rng.choice([SizeBand.MICRO, SizeBand.SMALL, SizeBand.MEDIUM]),
            address=f"{index} Station Road\nMidtown",
        )
        first, last = _person(rng)
        contact = HostContact.objects.create(
            organisation=org,
            name=f"{first} {last}",
            email=f"{first.lower()}.{last.lower()}@year-host{index}.example",
        )
        hosts.append(
            Challenge.objects.create(
                organisation=org,
                contact=contact,
                title=f"{YEAR_QUESTIONS[index % len(YEAR_QUESTIONS)][:-1]} ({name})",
                context=f"{name} is a {kind.label.lower()} in {sector.lower()}.",
                question=YEAR_QUESTIONS[index % len(YEAR_QUESTIONS)],
                good_outcome="Three practical options and a recommendation.",
                subject_area=sector,
                state=ChallengeState.SCHEDULED,
            )
        )
    return hosts


def generate_large(count: int, rng: random.Random, stdout) -> None:
    """Bulk-create `count` students and five years of micro-internships and interest."""
    start_number = Student.objects.count() + 1_000_000
    batch = WRITE_CHUNK_ROWS
    write_in_chunks(
        (
            Student(
                student_number=f"G{start_number + i}",
                email=f"gen{start_number + i}@example.ac.uk",
                full_name="{} {}".format(*_person(rng)),
                **_random_student_fields(rng),
            )
            for i in range(count)
        ),
        Student.objects.bulk_create,
        size=batch,
    )
    stdout.write(f"  {count} students")
    org = Organisation.objects.create(
        name="Generated host",
        kind=OrganisationKind.BUSINESS,
        sector="Generated",
        size_band=SizeBand.SMALL,
        address="Generated",
    )
    contact = HostContact.objects.create(
        organisation=org, name="Generated", email=f"generated-{org.pk}@host.example"
    )
    mi_count = max(5, count // 80)
    tz = timezone.get_current_timezone()
    first_day = timezone.localdate() - timedelta(days=5 * 365)
    challenge = Challenge.objects.create(
        organisation=org,
        contact=contact,
        title="Generated challenge",
        context="Generated",
        question="Generated",
        good_outcome="Generated",
        state=ChallengeState.SCHEDULED,
    )
    mis = []
    for i in range(mi_count):
        day = first_day + timedelta(days=int(i * 5 * 365 / mi_count))
        starts = timezone.make_aware(datetime.combine(day, time(9, 30)), tz)
        mis.append(
            MicroInternship(
                challenge=challenge,
                reference=f"GEN-{org.pk}-{i:06d}",
                starts_at=starts,
                ends_at=starts + timedelta(hours=7),
                venue_address="Generated",
                capacity=10,
                interest_opens_at=starts - timedelta(days=35),
                interest_closes_at=starts - timedelta(days=10),
                state=MicroInternshipState.EVALUATED,
            )
        )
    MicroInternship.objects.bulk_create(mis, batch_size=batch)
    mis = list(
        MicroInternship.objects.filter(challenge=challenge).values_list("pk", "interest_closes_at")
    )
    student_ids = list(
        Student.objects.filter(student_number__startswith="G").values_list("pk", flat=True)
    )
    rng.shuffle(student_ids)
    write_in_chunks(
        _generated_interests(mis, student_ids, rng),
        ExpressionOfInterest.objects.bulk_create,
        size=batch,
    )
    stdout.write(f"  {mi_count} micro-internships with interest")


def _generated_interests(mis, student_ids: list[int], rng: random.Random):
    """16 applicants for each generated micro-internship: 10 took part (9 in 10 attended)."""
    cursor = 0
    for mi_id, closes in mis:
        applicants = student_ids[cursor : cursor + 16] or rng.sample(student_ids, 16)
        cursor += 16
        for position, student_id in enumerate(applicants):
            state = (
                (PlaceState.ATTENDED if rng.random() < 0.9 else PlaceState.NO_SHOW)
                if position < 10
                else PlaceState.NOT_SELECTED
            )
            yield ExpressionOfInterest(
                student_id=student_id,
                micro_internship_id=mi_id,
                statement="Generated statement.",
                received_at=closes - timedelta(days=3),
                verified_at=closes - timedelta(days=3),
                state=state,
                state_changed_at=closes,
            )
