"""The student-record feed: the population import of the staff page, run unattended.

Files come from a directory the student-record system drops them into
(``MICROINTERN_STUDENT_FEED["DROP_DIR"]``) and/or an address they are downloaded from
(``["URL"]``, with an optional bearer token). A periodic job (``insights.tasks``) and the
``import_student_record`` command run one pass: :func:`run_feed_pass`.

Each file is read exactly as the page reads an upload (``domain.check_population_extract``:
the same per-row report, the same code mapping, recorded on the import) and then applied as
a confirmation on the page would apply it (``domain.apply_population_import``: the rows
staged a chunk per transaction, then switched in with one short transaction, which also
records the delivery and queues the email), all or nothing:

* a row the page would refuse (an unknown code, a missing email for a new student…) is left
  out and reported, and the other rows are imported: what a member of staff confirming the
  same report on the page would get;
* a file that is broken as a whole (it cannot be opened, a CSV row has more or fewer values
  than the header, an unclosed quote, an unknown or missing column, no row that could be
  imported) changes nothing, and says which line and why: it is refused before anything
  is written;
* a failure while applying (the disk full part-way, a student record changed at the same
  moment) leaves the records as they were; the import staged for it is discarded;
* a file whose SHA-256 matches one already imported is never imported again (a UNIQUE
  constraint among the imported deliveries, so two passes at once cannot both import it;
  a file uploaded and confirmed on the page counts as imported too).

A dropped file is then moved to ``processed/`` or ``failed/`` under the drop directory (its
name prefixed with the time it was received). Staff get a summary email through the outbox
(``EmailRole.STUDENT_RECORD_FEED``); a download that fails (no answer, an HTTP error, a
timeout, plain http:// in production) is logged, recorded and tried again at the next pass,
and staff are told once it has failed ``FAILURES_BEFORE_TELLING`` times in a row.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import UTC
from email.message import Message
from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from microintern.accounts.enums import Role
from microintern.accounts.models import User
from microintern.core.domain import log_activity
from microintern.mail.enums import EmailRole
from microintern.mail.outbox import queue_email
from microintern.mail.templating import common_context

from .academic_year import AcademicYear
from .checks import url_refusal
from .domain import (
    apply_population_import,
    check_population_extract,
    discard_staged_import,
    save_staged_import,
)
from .enums import FeedOutcome, FeedSource
from .models import FeedDelivery, PopulationImport
from .population import ExtractError

logger = logging.getLogger(__name__)

PROCESSED, FAILED = "processed", "failed"
SUFFIXES = (".csv", ".xlsx")
CONTENT_TYPES = {
    "text/csv": ".csv",
    "application/csv": ".csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
NOT_YET = (".part", ".tmp", ".partial", ".crdownload")


class FeedUnavailable(Exception):
    """The download failed or was refused before anything was read; the sentence says why.
    Recorded as an ``unreachable`` delivery and tried again at the next pass."""


class FeedMisconfigured(Exception):
    """The drop directory cannot be used (missing, or processed/ and failed/ cannot be
    made). Nothing is read until it is fixed; the periodic job's run shows the sentence."""


def feed_setting(name: str):
    return settings.MICROINTERN_STUDENT_FEED[name]


@dataclass
class PassResult:
    """What one pass did: the deliveries recorded and the problems that stopped a part."""

    deliveries: list[FeedDelivery] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        counts: dict[str, int] = {}
        for delivery in self.deliveries:
            label = delivery.get_outcome_display()
            counts[label] = counts.get(label, 0) + 1
        done = ", ".join(f"{label}: {n}" for label, n in counts.items()) or "nothing new"
        return "; ".join([done, *self.problems])


def run_feed_pass(*, drop: bool = True, url: bool = True) -> PassResult:
    """One pass of the feed: every settled file in the drop directory, then the download.

    Side effects: per file, what :func:`receive_file` does, then the file moved; per
    download, the same or an ``unreachable`` delivery (logged, staff told after repeated
    failures). A part that is not configured is skipped; a drop directory that cannot be
    used or a failed download is in ``problems`` (the periodic job then fails visibly).
    """
    result = PassResult()
    try:
        _check_year()
    except FeedMisconfigured as error:
        logger.error("Student-record feed: %s", error)
        return PassResult(problems=[str(error)])
    if drop and feed_setting("DROP_DIR"):
        try:
            result.deliveries += pass_drop_directory(Path(feed_setting("DROP_DIR")))
        except FeedMisconfigured as error:
            logger.error("Student-record feed: %s", error)
            result.problems.append(str(error))
    if url and feed_setting("URL"):
        delivery = pull_from_url(feed_setting("URL"))
        result.deliveries.append(delivery)
        if delivery.outcome == FeedOutcome.UNREACHABLE:
            result.problems.append(delivery.reason)
    return result


def _check_year() -> None:
    if feed_setting("ACADEMIC_YEAR"):
        try:
            AcademicYear.parse(feed_setting("ACADEMIC_YEAR"))
        except ValueError as error:
            raise FeedMisconfigured(f"STUDENT_FEED_ACADEMIC_YEAR: {error}.") from error


# ---------------------------------------------------------------------------------------
# One file
# ---------------------------------------------------------------------------------------


def receive_file(*, source: FeedSource, name: str, content: bytes) -> FeedDelivery:
    """Import one file all or nothing, record the delivery and tell staff.

    Rules: see the module docstring (refused rows left out as on the page; a broken file or
    no importable row: nothing written; a file already imported: ``duplicate``, nothing
    written, nobody emailed). Side effects: a PopulationImport with its report and the
    student records (imported); one FeedDelivery; ``population.staged`` and
    ``population.applied``, or ``population.feed_failed``, logged; the summary email queued
    to staff. No transaction is long (on SQLite each holds the one write lock): the file is
    read and checked before any, the import staged and switched in as the page's is.
    ``Busy`` (rows locked by someone else), or any other error while applying, is raised
    with the records unchanged and the staged import discarded, so the caller tries again
    later.
    """
    now = timezone.now()
    sha256 = hashlib.sha256(content).hexdigest()
    facts = {"source": source, "name": name[:255], "sha256": sha256, "size": len(content)}
    earlier = _imported_before(sha256)
    if earlier is not None:
        return _record_duplicate(facts, earlier, now)
    by_hand = PopulationImport.objects.filter(sha256=sha256, applied_at__isnull=False).first()
    if by_hand is not None:
        return _record_duplicate(facts, by_hand, now)
    year = feed_setting("ACADEMIC_YEAR") or str(AcademicYear.containing(now))
    try:  # reads and checks the whole file; writes nothing
        checked = check_population_extract(
            name=name, content=content, academic_year=year, strict=True
        )
        if checked.valid_count == 0:
            raise ExtractError(_nothing_importable(checked))
    except ExtractError as error:
        return _record_failure(facts, str(error), now)
    staged = save_staged_import(checked)
    recorded: list[FeedDelivery] = []

    def record_delivery(applied: PopulationImport) -> None:  # in the switch's transaction
        delivery = FeedDelivery.objects.create(
            **facts, received_at=now, outcome=FeedOutcome.APPLIED, population_import=applied
        )
        _tell_staff(delivery)
        recorded.append(delivery)

    try:
        staged = apply_population_import(staged, then=record_delivery)
    except IntegrityError as error:
        discard_staged_import(staged, reason=f"Not applied: {type(error).__name__}")
        earlier = _imported_before(sha256)
        if earlier is not None:  # another pass imported the same file a moment ago
            return _record_duplicate(facts, earlier, now)
        logger.exception("Student-record feed: %s could not be written", name)
        return _record_failure(
            facts,
            f"The rows could not be written ({type(error).__name__}: the records changed "
            "in another way at the same moment). Nothing was imported; send the file again.",
            now,
        )
    except Exception as error:
        discard_staged_import(staged, reason=f"Not applied: {type(error).__name__}")
        raise
    logger.info("Student-record feed: %s imported (%s rows)", name, staged.valid_count)
    return recorded[0]


def _imported_before(sha256: str) -> FeedDelivery | None:
    return FeedDelivery.objects.filter(sha256=sha256, outcome=FeedOutcome.APPLIED).first()


def _nothing_importable(staged: PopulationImport) -> str:
    if not staged.row_count:
        return "The file has a header but no rows. Nothing was imported."
    first = next(p for p in staged.problems if p["severity"] == "error")
    return (
        f"None of its {staged.row_count} rows could be imported; the first refused is line "
        f"{first['line']}, {first['field']}: {first['problem']} Nothing was imported."
    )


def _record_duplicate(facts: dict, earlier: FeedDelivery | PopulationImport, now) -> FeedDelivery:
    if isinstance(earlier, PopulationImport):
        when = timezone.localtime(earlier.applied_at).strftime("%d %b %Y %H:%M")
        reason = f"The same file ({earlier.file_name}) was uploaded and imported on {when}"
        staged = earlier
    else:
        when = timezone.localtime(earlier.received_at).strftime("%d %b %Y %H:%M")
        reason = f"The same file ({earlier.name}) was imported on {when}"
        staged = earlier.population_import
    return FeedDelivery.objects.create(
        **facts,
        received_at=now,
        outcome=FeedOutcome.DUPLICATE,
        reason=f"{reason}; skipped.",
        population_import=staged,
    )


@transaction.atomic
def _record_failure(facts: dict, reason: str, now) -> FeedDelivery:
    logger.warning("Student-record feed: %s not imported: %s", facts["name"], reason)
    delivery = FeedDelivery.objects.create(
        **facts, received_at=now, outcome=FeedOutcome.FAILED, reason=reason
    )
    log_activity(delivery, "population.feed_failed", reason=reason[:500])
    _tell_staff(delivery)
    return delivery


# ---------------------------------------------------------------------------------------
# The drop directory
# ---------------------------------------------------------------------------------------


def pass_drop_directory(directory: Path) -> list[FeedDelivery]:
    """Receive every settled file in `directory`, oldest first, and move each to
    processed/ (imported, or imported before) or failed/ (broken).

    A file is settled when it has not changed for ``SETTLE_SECONDS`` (one still being
    copied is left for the next pass); hidden files and names ending .part, .tmp, … are
    never read. A file that cannot be moved stays (logged): the next pass finds it again,
    sees its hash already imported and moves it then.
    """
    if not directory.is_dir():
        raise FeedMisconfigured(f"The drop directory {directory} does not exist.")
    try:
        for sub in (PROCESSED, FAILED):
            (directory / sub).mkdir(exist_ok=True)
    except OSError as error:
        raise FeedMisconfigured(
            f"Cannot make processed/ and failed/ in {directory}: {error}"
        ) from error
    settled_before = timezone.now().timestamp() - feed_setting("SETTLE_SECONDS")
    candidates = []
    for path in directory.iterdir():
        if not path.is_file() or path.name.startswith(".") or path.name.lower().endswith(NOT_YET):
            continue
        modified = path.stat().st_mtime
        if modified <= settled_before:
            candidates.append((modified, path.name, path))
    deliveries = []
    for _modified, _name, path in sorted(candidates):
        delivery = _receive_dropped(directory, path)
        if delivery is not None:
            deliveries.append(delivery)
    return deliveries


def _receive_dropped(directory: Path, path: Path) -> FeedDelivery | None:
    max_bytes = feed_setting("MAX_BYTES")
    facts = {"source": FeedSource.DROP, "name": path.name}
    try:
        size = path.stat().st_size
        content = path.read_bytes() if size <= max_bytes else b""
        sha256 = _hash_file(path) if size > max_bytes else ""
    except FileNotFoundError:  # another pass took it first
        return None
    if size > max_bytes:
        delivery = _record_failure(
            {**facts, "sha256": sha256, "size": size},
            f"The file is larger than {_size(max_bytes)}. Nothing was imported.",
            timezone.now(),
        )
    else:
        delivery = receive_file(source=FeedSource.DROP, name=path.name, content=content)
    to = PROCESSED if delivery.outcome != FeedOutcome.FAILED else FAILED
    target = _free_name(directory / to, delivery.received_at, path.name)
    try:
        os.replace(path, target)
    except OSError:
        logger.exception("Student-record feed: could not move %s to %s/", path.name, to)
        return delivery
    delivery.moved_to = f"{to}/{target.name}"
    delivery.save(update_fields=["moved_to"])
    return delivery


def _free_name(folder: Path, received_at, name: str) -> Path:
    """``<UTC time>Z-<name>`` in `folder`, numbered when taken (a file is never overwritten;
    UTC, so the hour repeated when the clocks go back cannot collide)."""
    stamp = received_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    target, n = folder / f"{stamp}-{name}", 1
    while target.exists():
        n += 1
        target = folder / f"{stamp}-{n}-{name}"
    return target


def _size(count: int) -> str:
    megabytes = count / (1024 * 1024)
    return f"{megabytes:g} MB" if megabytes >= 1 else f"{count:,} bytes"


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------
# The download
# ---------------------------------------------------------------------------------------


def pull_from_url(url: str) -> FeedDelivery:
    """Download the file at `url` and receive it (:func:`receive_file`).

    A download that fails is an ``unreachable`` delivery (logged; the next pass tries
    again); on the ``FAILURES_BEFORE_TELLING``-th failure in a row staff are emailed once.
    """
    now = timezone.now()
    try:
        name, content = fetch(url)
    except FeedUnavailable as error:
        logger.warning("Student-record feed: download failed: %s", error)
        with transaction.atomic():
            delivery = FeedDelivery.objects.create(
                source=FeedSource.URL,
                name=_url_name(url),
                received_at=now,
                outcome=FeedOutcome.UNREACHABLE,
                reason=str(error),
            )
            streak = _failures_in_a_row()
            if len(streak) == feed_setting("FAILURES_BEFORE_TELLING"):
                _tell_staff(delivery, failures=len(streak), first=streak[-1])
        return delivery
    return receive_file(source=FeedSource.URL, name=name, content=content)


def _failures_in_a_row() -> list[FeedDelivery]:
    """The download's latest failures, newest first, back to its last success."""
    downloads = FeedDelivery.objects.filter(source=FeedSource.URL)
    good = downloads.filter(~Q(outcome=FeedOutcome.UNREACHABLE))
    last_good = good.order_by("-received_at", "-pk").first()
    failures = downloads.filter(outcome=FeedOutcome.UNREACHABLE)
    if last_good is not None:
        failures = failures.filter(
            Q(received_at__gt=last_good.received_at)
            | Q(received_at=last_good.received_at, pk__gt=last_good.pk)
        )
    return list(failures.order_by("-received_at", "-pk"))


def fetch(url: str) -> tuple[str, bytes]:
    """(file name, bytes) downloaded from `url` with the configured bearer token and
    timeout; :class:`FeedUnavailable` with a sentence for anything short of a whole file."""
    refusal = url_refusal(url)
    if refusal:
        raise FeedUnavailable(refusal)
    headers = {"Accept": ", ".join(CONTENT_TYPES)}
    if feed_setting("TOKEN"):
        headers["Authorization"] = f"Bearer {feed_setting('TOKEN')}"
    timeout = feed_setting("TIMEOUT_SECONDS")
    max_bytes = feed_setting("MAX_BYTES")
    try:
        with requests.get(
            url, headers=headers, timeout=timeout, stream=True, allow_redirects=False
        ) as response:
            if response.status_code != requests.codes.ok:
                raise FeedUnavailable(
                    f"The feed address answered {response.status_code} {response.reason}"
                    + (" (a redirect: configure the final address)" if response.is_redirect else "")
                    + "."
                )
            chunks, size = [], 0
            for chunk in response.iter_content(1 << 16):
                size += len(chunk)
                if size > max_bytes:
                    raise FeedUnavailable(
                        f"The file is larger than {_size(max_bytes)}; not downloaded."
                    )
                chunks.append(chunk)
            name = _response_name(url, response)
    except requests.Timeout as error:
        raise FeedUnavailable(
            f"The feed address did not answer within {timeout:g} seconds."
        ) from error
    except requests.RequestException as error:
        raise FeedUnavailable(
            f"The feed address could not be reached ({type(error).__name__})."
        ) from error
    return name, b"".join(chunks)


def _url_name(url: str) -> str:
    path = unquote(urlsplit(url).path)
    return (path.rsplit("/", 1)[-1] or urlsplit(url).hostname or "download")[:255]


def _response_name(url: str, response: requests.Response) -> str:
    """The file's name: Content-Disposition's, else the URL's last part; given the suffix
    of its Content-Type when it has no .csv or .xlsx one."""
    name = ""
    disposition = response.headers.get("Content-Disposition", "")
    if disposition:
        message = Message()
        message["Content-Disposition"] = disposition
        name = Path(message.get_filename() or "").name
    name = name or _url_name(url)
    if not name.lower().endswith(SUFFIXES):
        kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        name = re.sub(r"[^\w.\-]+", "-", name) + CONTENT_TYPES.get(kind, "")
    return name


# ---------------------------------------------------------------------------------------
# Telling staff
# ---------------------------------------------------------------------------------------


def recipients() -> list[str]:
    """``NOTIFY``, else every active staff member and administrator."""
    if feed_setting("NOTIFY"):
        return list(feed_setting("NOTIFY"))
    return list(
        User.objects.filter(is_active=True, role__in=[Role.STAFF, Role.ADMINISTRATOR])
        .order_by("email")
        .values_list("email", flat=True)
    )


def summary_context(delivery: FeedDelivery, *, failures: int = 0) -> dict:
    """What the summary email says about `delivery` (the role's placeholders)."""
    base = common_context()["site_url"].rstrip("/")
    staged = delivery.population_import
    context = {
        "outcome": delivery.outcome,
        "file_name": delivery.name,
        "source": delivery.get_source_display(),
        "reason": delivery.reason,
        "failures": failures,
        "report_url": base + reverse("insights:feed"),
    }
    if staged is not None:
        errors = [p for p in staged.problems if p["severity"] == "error"]
        shown = feed_setting("REASONS_IN_EMAIL")
        context |= {
            "academic_year": staged.academic_year,
            "rows_read": staged.row_count,
            "rows_imported": staged.valid_count,
            "rows_refused": len(staged.invalid_lines),
            "created": staged.created_count,
            "updated": staged.updated_count,
            "mapping_version": staged.mapping.version if staged.mapping else "",
            "reasons": "\n".join(
                f"- line {p['line']}, {p['field']}: {p['problem']}" for p in errors[:shown]
            ),
            "more_reasons": max(0, len(errors) - shown),
            "report_url": base + reverse("insights:population_report", args=[staged.pk]),
        }
    return context


def _tell_staff(delivery: FeedDelivery, *, failures: int = 0, first=None) -> None:
    """Queue the summary email to each recipient, once per delivery (a broken file sent
    again, or a run of failed downloads, is told once: the dedupe key names the file's hash
    or the first failure)."""
    context = summary_context(delivery, failures=failures)
    if delivery.outcome == FeedOutcome.FAILED:
        key = f"feed-failed-{delivery.sha256}"
    elif delivery.outcome == FeedOutcome.UNREACHABLE:
        key = f"feed-unreachable-{(first or delivery).pk}"
    else:
        key = f"feed-{delivery.pk}"
    for address in recipients():
        queue_email(
            EmailRole.STUDENT_RECORD_FEED,
            to=address,
            context=context,
            about=delivery,
            dedupe_key=f"{key}-{address.lower()}"[:200],
        )
