"""Inbound email: whose address is it? Our own, a student's, a student's personal address.

A sender is a student when the message has exactly one From address and it is the
student's university address on record, or a personal address the student has confirmed
(asked through `ask_to_confirm_address`, confirmed by a link sent to the university address).
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from microintern.accounts.models import Student
from microintern.applications import links as application_links
from microintern.core.domain import log_activity
from microintern.mail import outbox

from .config import inbound_setting
from .interpret import is_university_address, normalise_address
from .models import Mailbox, PersonalAddress
from .parse import ParsedMessage

ADDRESS_SALT = "inbound.personal-address"
ADDRESS_MAX_AGE = timedelta(days=14)


def own_addresses() -> set[str]:
    """Every address of ours: the default sender, OWN_ADDRESSES and every mailbox's."""
    addresses = {normalise_address(settings.DEFAULT_FROM_EMAIL)}
    addresses.update(normalise_address(a) for a in inbound_setting("OWN_ADDRESSES"))
    addresses.update(
        normalise_address(u) for u in Mailbox.objects.values_list("username", flat=True)
    )
    return {a for a in addresses if a}


def is_university(address: str) -> bool:
    return is_university_address(address, settings.MICROINTERN["UNIVERSITY_EMAIL_DOMAINS"])


def single_sender(parsed: ParsedMessage) -> str | None:
    """The sender's actual mailbox (`ParsedMessage.sender`), lower-cased: None unless From
    is a single, well-formed address."""
    return parsed.sender.lower() if parsed.sender else None


def envelope_sender(parsed: ParsedMessage) -> str | None:
    """The envelope sender (Return-Path): None when absent or null."""
    return normalise_address(parsed.return_path) if parsed.return_path else None


class SenderLookup:
    """Student records and confirmed personal addresses of senders, read once per batch.

    `look_up` reads them for many messages in two queries; an address not looked up in
    advance is read when first asked about and remembered.
    """

    def __init__(self) -> None:
        self._students: dict[str, Student | None] = {}
        self._personal: dict[str, PersonalAddress | None] = {}

    def look_up(self, senders: set[str], envelopes: set[str]) -> None:
        """Read the student records and confirmed personal addresses of these senders and
        envelope senders."""
        university = {address for address in senders if is_university(address)}
        self._load_students(university)
        self._load_personal((senders - university) | envelopes)

    def _load_students(self, addresses: set[str]) -> None:
        wanted = addresses - self._students.keys()
        if wanted:
            self._students.update(dict.fromkeys(wanted))
            found = (
                Student.objects.annotate(lowered_email=Lower("email"))
                .filter(lowered_email__in=wanted)
                .order_by("-pk")
            )
            self._students.update({student.lowered_email: student for student in found})

    def _load_personal(self, addresses: set[str]) -> None:
        wanted = addresses - self._personal.keys()
        if wanted:
            self._personal.update(dict.fromkeys(wanted))
            confirmed = (
                PersonalAddress.objects.annotate(lowered_address=Lower("address"))
                .filter(lowered_address__in=wanted, confirmed_at__isnull=False)
                .select_related("student")
            )
            self._personal.update({row.lowered_address: row for row in confirmed})

    def student_for(self, parsed: ParsedMessage) -> Student | None:
        """The student who sent the message: exactly one From address, which is a student's
        university address on record or a personal address the student has confirmed."""
        address = single_sender(parsed)
        if address is None:
            return None
        if is_university(address):
            self._load_students({address})
            return self._students[address]
        self._load_personal({address})
        personal = self._personal[address]
        return personal.student if personal else None

    def confirmed_by(self, address: str, student: Student) -> bool:
        """Has `student` confirmed `address` as their personal address?"""
        self._load_personal({address})
        personal = self._personal[address]
        return personal is not None and personal.student_id == student.pk


def ask_to_confirm_address(student: Student, address: str, *, actor=None) -> PersonalAddress:
    """Staff think `address` is the student's personal address: ask the student.

    Rules: the address is used for matching only once confirmed, and the question goes to
    the student's university address (so nobody can attach their own address to someone
    else's record by claiming to be them). An address already linked to another student is
    left alone. Side effects: a PersonalAddress row (unconfirmed), one email a day at most,
    logs `inbound.address_suggested`.
    """
    personal, _created = PersonalAddress.objects.get_or_create(
        address=address, defaults={"student": student, "created_by": actor}
    )
    if personal.student_id != student.pk or personal.confirmed_at:
        return personal
    token = signing.dumps({"p": personal.pk, "s": student.pk}, salt=ADDRESS_SALT)
    outbox.queue_email(
        "personal_address_confirm",
        to=student.email,
        context={
            "student": student,
            "address": address,
            "confirm_url": application_links.absolute(
                reverse("inbound:confirm_address", args=[token])
            ),
        },
        person=student,
        about=personal,
        dedupe_key=f"personal-address:{personal.pk}:{timezone.now():%Y-%m-%d}",
    )
    log_activity(personal, "inbound.address_suggested", actor=actor, student=student.pk)
    return personal


def address_link_is_genuine(token: str) -> bool:
    """Is this a confirm-address link we signed, still in date? (It may name nobody.)"""
    try:
        signing.loads(token, salt=ADDRESS_SALT, max_age=ADDRESS_MAX_AGE)
    except signing.BadSignature:
        return False
    return True


def confirm_address(token: str) -> PersonalAddress | None:
    """The student clicked the link sent to their university address: the personal address
    is theirs. Side effects: sets `confirmed_at` (once), logs `inbound.address_confirmed`.
    Returns None for a link that is not genuine, out of date, or for another student."""
    try:
        data = signing.loads(token, salt=ADDRESS_SALT, max_age=ADDRESS_MAX_AGE)
    except signing.BadSignature:
        return None
    personal = PersonalAddress.objects.filter(pk=data.get("p"), student_id=data.get("s")).first()
    if personal is not None and personal.confirmed_at is None:
        personal.confirmed_at = timezone.now()
        personal.save(update_fields=["confirmed_at"])
        log_activity(personal, "inbound.address_confirmed")
    return personal
