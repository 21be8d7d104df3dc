"""The student-record feed: files dropped in a real directory or downloaded from a real HTTP
server on 127.0.0.1 are imported whole or not at all, never twice, and staff are told."""

import contextlib
import io
import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.module_loading import import_string
from openpyxl import Workbook

from microintern.accounts.models import Student
from microintern.core.models import ActivityLog
from microintern.insights import codings, domain, feed
from microintern.insights.checks import student_feed_is_usable
from microintern.insights.enums import FeedOutcome, FeedSource
from microintern.insights.models import (
    FeedDelivery,
    PopulationImport,
    PopulationImportRow,
    PopulationRecord,
)
from microintern.insights.tasks import FeedPassFailed, run_student_record_feed
from microintern.mail.models import OutboundMessage
from tests.accounts.factories import StudentFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 3, 6, 0, tzinfo=UTC)  # 2026/27; a Tuesday, before the working day
TEAM = "records-team@example.ac.uk"
HEADER = "student_number,email,full_name,programme,school,level,mode,fee_status,domicile"
ROWS = [
    "S1,ana@example.ac.uk,Ana Li,BSc Data Science,Computing,UG,FT,H,UK",
    "S2,ben@example.ac.uk,Ben Ode,BA History,Arts,PGT,PT,I,FR",
    "S3,cat@example.ac.uk,Cat Roe,BA History,Arts,UG,FT,H,XF",
    "S4,dan@example.ac.uk,Dan Poe,BA History,Arts,UG,FT,H,XF",
]


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def xlsx_bytes(*rows: str) -> bytes:
    workbook = Workbook()
    for line in [HEADER, *rows]:
        workbook.active.append(line.split(","))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def drop_dir(tmp_path, settings, clock):
    directory = tmp_path / "drop"
    directory.mkdir()
    settings.MICROINTERN_STUDENT_FEED = {
        **django_settings.MICROINTERN_STUDENT_FEED,
        "DROP_DIR": str(directory),
        "URL": "",
        "TOKEN": "",
        "NOTIFY": [TEAM],
        "SETTLE_SECONDS": 60,
        "ACADEMIC_YEAR": "",
        "REASONS_IN_EMAIL": 10,
        "FAILURES_BEFORE_TELLING": 3,
        "TIMEOUT_SECONDS": 1.0,
    }
    settings.MICROINTERN = {**django_settings.MICROINTERN, "BASE_URL": "https://mi.example.ac.uk"}
    return directory


def drop(directory, name: str, content: bytes, age=timedelta(minutes=5)):
    """A file copied into the drop directory `age` ago (by the frozen clock)."""
    path = directory / name
    path.write_bytes(content)
    when = (NOW - age).timestamp()
    os.utime(path, (when, when))
    return path


def emails():
    return list(OutboundMessage.objects.filter(role="student_record_feed").order_by("pk"))


def listing(directory) -> dict[str, list[str]]:
    return {
        where: sorted(p.name for p in (directory / where).iterdir())
        for where in ("processed", "failed")
    } | {"waiting": sorted(p.name for p in directory.iterdir() if p.is_file())}


# ---------------------------------------------------------------------------------------
# The drop directory
# ---------------------------------------------------------------------------------------


def test_a_dropped_file_is_imported_with_the_pages_report_moved_and_summarised(drop_dir):
    refused = "S9,eve@example.ac.uk,Eve Ash,BA History,Arts,PG,FT,H,XF"
    drop(drop_dir, "students.csv", csv_bytes(ROWS[0], ROWS[1], refused, ROWS[2]))

    result = feed.run_feed_pass()

    (delivery,) = result.deliveries
    assert delivery.outcome == FeedOutcome.APPLIED and not result.problems
    assert sorted(Student.objects.values_list("student_number", flat=True)) == ["S1", "S2", "S3"]
    ben = Student.objects.get(student_number="S2")
    assert (ben.level, ben.mode, ben.fee_status) == ("pgt", "part_time", "international")
    record = PopulationRecord.objects.get(student=ben)
    assert (record.academic_year, record.domicile) == ("2026/27", "FR")
    assert listing(drop_dir) == {
        "processed": ["20261103T060000Z-students.csv"],
        "failed": [],
        "waiting": [],
    }
    staged = delivery.population_import
    assert staged.applied_at is not None and staged.mapping.version == 1
    assert [(p["line"], p["field"]) for p in staged.problems] == [(4, "level")]

    (email,) = emails()
    assert email.to == TEAM
    assert email.subject == "Student records imported: 3 of 4 rows (students.csv)"
    assert "Rows read: 4" in email.body
    assert "Rows imported: 3 (3 new students, 0 updated)" in email.body
    assert "Rows refused (left out): 1" in email.body
    assert "- line 4, level: “PG” could be taught or research: write PGT or PGR." in email.body
    assert "Codes read with mapping version 1" in email.body
    report = f"https://mi.example.ac.uk{reverse('insights:population_report', args=[staged.pk])}"
    assert f"The full report: {report}" in email.body


def test_the_report_page_shows_a_feed_import_like_an_upload(drop_dir, staff_client):
    drop(drop_dir, "students.csv", csv_bytes(ROWS[0], "S9,,,,,UG,FT,H,XF"))
    (delivery,) = feed.run_feed_pass().deliveries

    page = staff_client.get(
        reverse("insights:population_report", args=[delivery.population_import.pk])
    )
    text = page.content.decode()
    assert "From the student-record feed (File drop)" in text
    assert "Code mapping version 1" in text
    assert "A student not yet known needs an email address." in text
    assert "Not imported yet" not in text
    listing_page = staff_client.get(reverse("insights:feed")).content.decode()
    assert "students.csv" in listing_page and "Report: 1 of 2 rows imported" in listing_page


def test_the_email_names_the_first_reasons_and_counts_the_rest(drop_dir, settings):
    settings.MICROINTERN_STUDENT_FEED = {**settings.MICROINTERN_STUDENT_FEED, "REASONS_IN_EMAIL": 2}
    bad = [f"S{n},s{n}@example.ac.uk,Stu {n},,,Level 4,FT,H,XF" for n in range(10, 15)]
    drop(drop_dir, "students.csv", csv_bytes(ROWS[0], *bad))
    feed.run_feed_pass()

    (email,) = emails()
    assert "Rows refused (left out): 5" in email.body
    assert "(the first reasons; 3 more in the report)" in email.body
    assert email.body.count("is not a level we know") == 2
    assert "- line 3, level: “Level 4” is not a level we know" in email.body


BROKEN = {
    "a row with an unquoted comma": (
        "students.csv",
        csv_bytes(ROWS[0], "S2,ben@example.ac.uk,Ode, Ben,BA History,Arts,PGT,PT,I,FR", ROWS[2]),
        "Line 3 has 10 values where the first row names 9 columns",
    ),
    "a row cut short": (
        "students.csv",
        csv_bytes(ROWS[0], "S2,ben@example.ac.uk,Ben Ode,BA Hist", ROWS[2]),
        "Line 3 has 4 values where the first row names 9 columns",
    ),
    "an unclosed quote": (
        "students.csv",
        csv_bytes(ROWS[0], ROWS[1], 'S3,cat@example.ac.uk,"Cat Roe,BA History,Arts,UG,FT,H,XF'),
        "cannot be read (unexpected end of data)",
    ),
    "a renamed column": (
        "students.csv",
        csv_bytes(*ROWS, header=HEADER.replace("fee_status", "fee_status_code")),
        "columns this import does not know: fee_status_code",
    ),
    "a missing column": (
        "students.csv",
        csv_bytes(*[r.rsplit(",", 1)[0] for r in ROWS], header=HEADER.replace(",full_name", "")),
        "lacks the column full_name",
    ),
    "a truncated workbook": (
        "students.xlsx",
        xlsx_bytes(*ROWS)[:2000],
        "not a readable .xlsx workbook",
    ),
    "not UTF-8": ("students.csv", csv_bytes(*ROWS).replace(b"Ana", b"An\xe1"), "not UTF-8"),
    "no row importable": (
        "students.csv",
        csv_bytes("S1,ana@example.ac.uk,Ana Li,,,PG,FT,H,UK"),
        "None of its 1 rows could be imported; the first refused is line 2, level:",
    ),
    "not a spreadsheet": ("students.txt", b"hello", "Upload a .csv or .xlsx file."),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_file_changes_nothing_and_says_which_line_and_why(drop_dir, case):
    known = StudentFactory(student_number="S1", email="ana@example.ac.uk", imd_quintile=5)
    name, content, why = BROKEN[case]
    drop(drop_dir, name, content)

    (delivery,) = feed.run_feed_pass().deliveries

    assert delivery.outcome == FeedOutcome.FAILED
    assert why in delivery.reason
    assert list(Student.objects.all()) == [known]
    known.refresh_from_db()
    assert known.school != "Computing" and known.record_imported_at is None
    assert not PopulationRecord.objects.exists() and not PopulationImport.objects.exists()
    assert listing(drop_dir)["failed"] == [f"20261103T060000Z-{name}"]
    assert listing(drop_dir)["waiting"] == []
    assert ActivityLog.objects.filter(action="population.feed_failed").count() == 1
    (email,) = emails()
    assert email.subject == f"Student records NOT imported: {name} is broken"
    assert "nothing in it was saved" in email.body and why in email.body
    assert "https://mi.example.ac.uk/insights/population/feed/" in email.body


def test_the_same_file_is_imported_once_whatever_it_is_called(drop_dir):
    content = csv_bytes(*ROWS)
    drop(drop_dir, "monday.csv", content)
    feed.run_feed_pass()
    drop(drop_dir, "tuesday.csv", content)

    (again,) = feed.run_feed_pass().deliveries

    assert again.outcome == FeedOutcome.DUPLICATE
    assert "The same file (monday.csv) was imported on 03 Nov 2026" in again.reason
    assert PopulationImport.objects.count() == 1
    assert ActivityLog.objects.filter(action="population.applied").count() == 1
    assert len(emails()) == 1
    assert listing(drop_dir)["processed"] == [
        "20261103T060000Z-monday.csv",
        "20261103T060000Z-tuesday.csv",
    ]
    drop(drop_dir, "monday.csv", content)
    (third,) = feed.run_feed_pass().deliveries
    assert third.moved_to == "processed/20261103T060000Z-2-monday.csv"  # nothing overwritten


def test_the_database_refuses_a_second_import_of_one_file(drop_dir):
    drop(drop_dir, "students.csv", csv_bytes(*ROWS))
    (first,) = feed.run_feed_pass().deliveries
    with pytest.raises(IntegrityError), transaction.atomic():
        FeedDelivery.objects.create(
            source=FeedSource.DROP,
            name="again.csv",
            sha256=first.sha256,
            received_at=first.received_at,
            outcome=FeedOutcome.APPLIED,
        )


def test_a_file_still_being_copied_waits_for_the_next_pass(drop_dir, clock):
    drop(drop_dir, "students.csv", csv_bytes(*ROWS), age=timedelta(seconds=10))
    drop(drop_dir, "big.csv.part", b"half a file", age=timedelta(hours=1))
    drop(drop_dir, ".hidden.csv", b"x", age=timedelta(hours=1))

    assert feed.run_feed_pass().deliveries == []
    assert not Student.objects.exists()

    clock.shift(timedelta(minutes=2))
    (delivery,) = feed.run_feed_pass().deliveries
    assert delivery.outcome == FeedOutcome.APPLIED
    assert listing(drop_dir)["waiting"] == [".hidden.csv", "big.csv.part"]


def test_a_refused_row_is_left_out_as_the_page_leaves_it_out(drop_dir):
    """The same file through the page (stage, then confirm) and through the feed imports
    the same students."""
    content = csv_bytes(ROWS[0], "S9,,No Email,,,UG,FT,H,XF", ROWS[1])
    by_hand = domain.stage_population_import(
        name="students.csv", content=content, academic_year="2026/27"
    )
    domain.apply_population_import(by_hand)
    page_numbers = set(Student.objects.values_list("student_number", flat=True))
    Student.objects.all().delete()
    PopulationImport.objects.all().delete()  # else the feed skips it as imported already

    drop(drop_dir, "students.csv", content)
    feed.run_feed_pass()

    assert set(Student.objects.values_list("student_number", flat=True)) == page_numbers
    assert page_numbers == {"S1", "S2"}


def test_a_missing_drop_directory_fails_the_job_visibly(drop_dir, settings):
    settings.MICROINTERN_STUDENT_FEED = {
        **settings.MICROINTERN_STUDENT_FEED,
        "DROP_DIR": str(drop_dir / "nowhere"),
    }
    with pytest.raises(FeedPassFailed, match="does not exist"):
        run_student_record_feed()


def test_the_record_of_deliveries_goes_after_a_year_with_the_extracts(drop_dir, clock):
    drop(drop_dir, "students.csv", csv_bytes(*ROWS))
    feed.run_feed_pass()
    clock.shift(timedelta(days=364))
    domain.apply_retention()
    assert FeedDelivery.objects.count() == 1
    clock.shift(timedelta(days=2))
    assert domain.apply_retention()["feed_deliveries"] == 1
    assert not FeedDelivery.objects.exists()


def test_the_job_is_registered_with_the_periodic_runner():
    path = "microintern.insights.tasks.run_student_record_feed"
    assert path in django_settings.MICROINTERN_PERIODIC_JOBS
    assert import_string(path) is run_student_record_feed


def test_staff_and_administrators_are_told_when_no_list_is_set(drop_dir, settings, make_user):
    settings.MICROINTERN_STUDENT_FEED = {**settings.MICROINTERN_STUDENT_FEED, "NOTIFY": []}
    make_user("staff", email="staff@example.ac.uk")
    make_user("administrator", email="admin@example.ac.uk")
    make_user("staff", email="left@example.ac.uk", is_active=False)
    make_user("researcher", email="research@example.ac.uk")
    drop(drop_dir, "students.csv", csv_bytes(*ROWS))
    feed.run_feed_pass()
    assert sorted(e.to for e in emails()) == ["admin@example.ac.uk", "staff@example.ac.uk"]


# ---------------------------------------------------------------------------------------
# The download
# ---------------------------------------------------------------------------------------


class FeedServer:
    """A real HTTP server on 127.0.0.1 in a thread, answering from a list of replies:
    (status, headers, body) or ("slow", seconds) to answer later than the feed waits."""

    def __init__(self):
        self.replies: list = []
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append({"path": self.path, "headers": dict(self.headers)})
                reply = server.replies.pop(0) if server.replies else (404, {}, b"")
                if reply[0] == "slow":
                    time.sleep(reply[1])
                    reply = (200, {"Content-Type": "text/csv"}, csv_bytes(*ROWS))
                status, headers, body = reply
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the feed may have given up waiting
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/exports/students"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(drop_dir, settings):
    running = FeedServer()
    settings.MICROINTERN_STUDENT_FEED = {
        **settings.MICROINTERN_STUDENT_FEED,
        "DROP_DIR": "",
        "URL": running.url,
        "TOKEN": "s3cret-token",
    }
    yield running
    running.close()


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/students.csv"


CSV_REPLY = {
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Disposition": 'attachment; filename="sits-extract.csv"',
}


def test_a_download_is_imported_with_the_bearer_token(server):
    server.replies = [(200, CSV_REPLY, csv_bytes(*ROWS))]

    (delivery,) = feed.run_feed_pass().deliveries

    assert server.requests[0]["headers"]["Authorization"] == "Bearer s3cret-token"
    assert server.requests[0]["path"] == "/exports/students"
    assert (delivery.source, delivery.name, delivery.outcome) == (
        FeedSource.URL,
        "sits-extract.csv",
        FeedOutcome.APPLIED,
    )
    assert Student.objects.count() == 4
    (email,) = emails()
    assert "The file sits-extract.csv (Download) was imported for 2026/27." in email.body


def test_an_unchanged_download_is_not_imported_again(server):
    server.replies = [(200, CSV_REPLY, csv_bytes(*ROWS)), (200, CSV_REPLY, csv_bytes(*ROWS))]
    feed.run_feed_pass()
    (again,) = feed.run_feed_pass().deliveries
    assert again.outcome == FeedOutcome.DUPLICATE
    assert PopulationImport.objects.count() == 1 and len(emails()) == 1


def test_a_download_without_a_file_name_takes_its_type_from_the_content_type(server):
    server.replies = [(200, {"Content-Type": "text/csv"}, csv_bytes(*ROWS))]
    (delivery,) = feed.run_feed_pass().deliveries
    assert (delivery.name, delivery.outcome) == ("students.csv", FeedOutcome.APPLIED)


def test_plain_http_is_refused_in_production_unless_allowed(server, settings):
    settings.PRODUCTION = True
    server.replies = [(200, CSV_REPLY, csv_bytes(*ROWS))]

    (refused,) = feed.run_feed_pass().deliveries

    assert server.requests == []  # not even asked: the token never travelled in clear
    assert refused.outcome == FeedOutcome.UNREACHABLE
    assert "plain http://, which production refuses" in refused.reason
    assert not Student.objects.exists()

    settings.MICROINTERN_STUDENT_FEED = {**settings.MICROINTERN_STUDENT_FEED, "ALLOW_HTTP": True}
    (allowed,) = feed.run_feed_pass().deliveries
    assert allowed.outcome == FeedOutcome.APPLIED and len(server.requests) == 1


def test_https_is_always_accepted_and_other_schemes_never():
    assert feed.url_refusal("https://records.example.ac.uk/x.csv") == ""
    assert "must start with https://" in feed.url_refusal("ftp://records.example.ac.uk/x.csv")


def test_failed_downloads_are_logged_retried_and_told_once_in_a_row(server, settings, caplog):
    url = server.url
    server.replies = [(500, {}, b"oops"), ("slow", 3)]

    settings.MICROINTERN_STUDENT_FEED = {
        **settings.MICROINTERN_STUDENT_FEED,
        "URL": closed_port_url(),
    }
    with pytest.raises(FeedPassFailed, match="could not be reached"):
        run_student_record_feed()
    settings.MICROINTERN_STUDENT_FEED = {**settings.MICROINTERN_STUDENT_FEED, "URL": url}
    with pytest.raises(FeedPassFailed, match="answered 500 Internal Server Error"):
        run_student_record_feed()
    assert emails() == []  # two failures: not yet
    with pytest.raises(FeedPassFailed, match="did not answer within 1 seconds"):
        run_student_record_feed()

    reasons = [d.reason for d in FeedDelivery.objects.order_by("pk")]
    assert len(reasons) == 3
    assert all(d.outcome == FeedOutcome.UNREACHABLE for d in FeedDelivery.objects.all())
    assert "download failed" in caplog.text and "answered 500" in caplog.text
    (told,) = emails()
    assert told.subject == "Student records: the download has failed 3 times in a row"
    assert "The last error: The feed address did not answer within 1 seconds." in told.body
    assert "nothing has changed in the student records" in told.body

    server.replies = [(503, {}, b"")]
    with pytest.raises(FeedPassFailed):
        run_student_record_feed()
    assert len(emails()) == 1  # told once for the run of failures

    server.replies = [(200, CSV_REPLY, csv_bytes(*ROWS))]
    assert "Imported: 1" in run_student_record_feed()
    assert Student.objects.count() == 4

    server.replies = [(500, {}, b"")] * 3
    for _ in range(3):
        with pytest.raises(FeedPassFailed):
            run_student_record_feed()
    assert [e.subject for e in emails()][-1].endswith("failed 3 times in a row")
    assert len(emails()) == 3  # the first run told, the import, the second run told


def test_a_redirect_is_not_followed(server):
    server.replies = [(302, {"Location": "http://elsewhere.example/x.csv"}, b"")]
    (delivery,) = feed.run_feed_pass().deliveries
    assert delivery.reason == (
        "The feed address answered 302 Found (a redirect: configure the final address)."
    )


def test_a_download_larger_than_allowed_is_refused(server, settings):
    settings.MICROINTERN_STUDENT_FEED = {**settings.MICROINTERN_STUDENT_FEED, "MAX_BYTES": 100}
    server.replies = [(200, CSV_REPLY, csv_bytes(*ROWS))]
    (delivery,) = feed.run_feed_pass().deliveries
    assert delivery.outcome == FeedOutcome.UNREACHABLE
    assert delivery.reason == "The file is larger than 100 bytes; not downloaded."


# ---------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------


def test_the_command_runs_one_pass_from_the_drop(drop_dir):
    drop(drop_dir, "students.csv", csv_bytes(ROWS[0], "S9,,,,,UG,FT,H,XF"))
    out = io.StringIO()
    call_command("import_student_record", "--from-drop", stdout=out)
    assert out.getvalue() == (
        "students.csv: Imported: 2 rows read, 1 imported (1 new, 0 updated), 1 refused\n"
    )


def test_the_command_from_the_url_reports_a_failure(server):
    server.replies = [(500, {}, b"")]
    out = io.StringIO()
    with pytest.raises(CommandError, match="answered 500"):
        call_command("import_student_record", "--from-url", stdout=out)
    assert "students: Not downloaded: The feed address answered 500" in out.getvalue()


def test_the_command_says_what_is_missing(drop_dir, settings):
    with pytest.raises(CommandError, match="--from-drop, --from-url"):
        call_command("import_student_record")
    with pytest.raises(CommandError, match="STUDENT_FEED_URL is not set"):
        call_command("import_student_record", "--from-url")


def test_a_feed_import_records_the_mapping_version_it_was_read_with(drop_dir):
    drop(drop_dir, "first.csv", csv_bytes(ROWS[0]))
    (first,) = feed.run_feed_pass().deliveries
    tables = codings.default_tables()
    tables["readings"]["level"]["UGRD"] = "undergraduate"
    domain.save_coding_mapping(**tables, note="SITS renamed UG")
    drop(drop_dir, "second.csv", csv_bytes("S7,gus@example.ac.uk,Gus Ng,,,UGRD,FT,H,XF"))

    (second,) = feed.run_feed_pass().deliveries

    assert second.outcome == FeedOutcome.APPLIED
    assert Student.objects.get(student_number="S7").level == "undergraduate"
    assert second.population_import.mapping.version == 2
    first.population_import.refresh_from_db()
    assert first.population_import.mapping.version == 1
    assert "Codes read with mapping version 2" in emails()[-1].body


def test_the_upload_page_refuses_a_broken_file_the_same_way(staff_client):
    broken = SimpleUploadedFile(
        "students.csv", csv_bytes(ROWS[0], "S2,ben@example.ac.uk,Ben Ode,BA Hist", ROWS[2])
    )
    page = staff_client.post(
        reverse("insights:population_upload"), {"academic_year": "2026/27", "extract": broken}
    )
    assert "Line 3 has 4 values where the first row names 9 columns" in page.content.decode()
    assert not PopulationImport.objects.exists()


def test_a_configured_academic_year_is_used_and_a_wrong_one_stops_the_pass(drop_dir, settings):
    settings.MICROINTERN_STUDENT_FEED = {
        **settings.MICROINTERN_STUDENT_FEED,
        "ACADEMIC_YEAR": "2025/26",
    }
    drop(drop_dir, "students.csv", csv_bytes(*ROWS))
    feed.run_feed_pass()
    assert set(PopulationRecord.objects.values_list("academic_year", flat=True)) == {"2025/26"}

    settings.MICROINTERN_STUDENT_FEED = {
        **settings.MICROINTERN_STUDENT_FEED,
        "ACADEMIC_YEAR": "2025/27",
    }
    drop(drop_dir, "next.csv", csv_bytes(ROWS[0]))
    with pytest.raises(FeedPassFailed, match="STUDENT_FEED_ACADEMIC_YEAR: '2025/27' is not"):
        run_student_record_feed()
    assert listing(drop_dir)["waiting"] == ["next.csv"]  # left for when it is fixed


def test_a_file_with_a_header_and_no_rows_is_refused(drop_dir):
    drop(drop_dir, "students.csv", csv_bytes())
    (delivery,) = feed.run_feed_pass().deliveries
    assert delivery.outcome == FeedOutcome.FAILED
    assert delivery.reason == "The file has a header but no rows. Nothing was imported."


def test_a_dropped_file_larger_than_allowed_is_not_read(drop_dir, settings):
    settings.MICROINTERN_STUDENT_FEED = {**settings.MICROINTERN_STUDENT_FEED, "MAX_BYTES": 100}
    drop(drop_dir, "students.csv", csv_bytes(*ROWS))
    (delivery,) = feed.run_feed_pass().deliveries
    assert delivery.outcome == FeedOutcome.FAILED
    assert delivery.reason == "The file is larger than 100 bytes. Nothing was imported."
    assert len(delivery.sha256) == 64 and delivery.size > 100
    assert listing(drop_dir)["failed"] == ["20261103T060000Z-students.csv"]
    assert not Student.objects.exists()


def test_a_file_already_imported_on_the_page_is_not_imported_again(drop_dir):
    content = csv_bytes(*ROWS)
    by_hand = domain.stage_population_import(
        name="upload.csv", content=content, academic_year="2026/27"
    )
    domain.apply_population_import(by_hand)
    drop(drop_dir, "students.csv", content)

    (delivery,) = feed.run_feed_pass().deliveries

    assert delivery.outcome == FeedOutcome.DUPLICATE
    assert delivery.reason.startswith("The same file (upload.csv) was uploaded and imported on")
    assert PopulationImport.objects.count() == 1 and emails() == []


def test_check_deploy_refuses_a_plain_http_address_in_production(settings, tmp_path):
    settings.PRODUCTION = True
    settings.MICROINTERN_STUDENT_FEED = {
        **django_settings.MICROINTERN_STUDENT_FEED,
        "URL": "http://records.example.ac.uk/students.csv",
        "DROP_DIR": str(tmp_path / "not-mounted"),
        "ALLOW_HTTP": False,
    }
    found = {problem.id: problem.msg for problem in student_feed_is_usable(None)}
    assert "plain http://, which production refuses" in found["insights.E001"]
    assert "not-mounted is not a directory" in found["insights.W001"]

    settings.MICROINTERN_STUDENT_FEED = {
        **settings.MICROINTERN_STUDENT_FEED,
        "ALLOW_HTTP": True,
        "DROP_DIR": str(tmp_path),
    }
    assert student_feed_is_usable(None) == []
    settings.PRODUCTION = False
    settings.MICROINTERN_STUDENT_FEED = {
        **settings.MICROINTERN_STUDENT_FEED,
        "ALLOW_HTTP": False,
    }
    assert student_feed_is_usable(None) == []  # plain http is fine outside production


# ---------------------------------------------------------------------------------------
# Staged, then switched in: no long transaction, all or nothing (real commits)
# ---------------------------------------------------------------------------------------

committed = pytest.mark.django_db(transaction=True)  # the chunks before a failure commit


def numbered(count: int, *, imd: int) -> bytes:
    rows = (
        f"P{n:05d},p{n}@example.ac.uk,Person {n},BSc Data,Computing,UG,FT,H,UK,{imd}"
        for n in range(count)
    )
    return csv_bytes(*rows, header=HEADER + ",imd_quintile")


def population() -> dict:
    """What dashboards and selection read: each student's record fields and year's rows."""
    return {
        "students": sorted(Student.objects.values_list("student_number", "email", "imd_quintile")),
        "records": sorted(
            PopulationRecord.objects.values_list(
                "student__student_number", "academic_year", "imd_quintile", "source_import"
            )
        ),
    }


@committed
def test_a_broken_file_stages_nothing_and_changes_nothing(drop_dir):
    drop(drop_dir, "first.csv", numbered(3, imd=1))
    feed.run_feed_pass()
    before, imports, log = (
        population(),
        PopulationImport.objects.count(),
        ActivityLog.objects.count(),
    )
    broken = numbered(3, imd=2) + b"P9,p9@example.ac.uk,Too,Many,Values,UG,FT,H,UK,2,extra\n"
    drop(drop_dir, "second.csv", broken)

    (delivery,) = feed.run_feed_pass().deliveries

    assert delivery.outcome == FeedOutcome.FAILED and "Line 5 has 11 values" in delivery.reason
    assert population() == before
    assert PopulationImport.objects.count() == imports
    assert not PopulationImportRow.objects.exists()
    assert list(ActivityLog.objects.order_by("pk").values_list("action", flat=True)[log:]) == [
        "population.feed_failed"
    ]


@committed
def test_a_failure_after_some_chunks_leaves_the_old_records_and_the_file(
    drop_dir, monkeypatch, fail_staging_after_two_chunks
):
    drop(drop_dir, "first.csv", numbered(1200, imd=1))
    (first,) = feed.run_feed_pass().deliveries
    before, deliveries = population(), FeedDelivery.objects.count()
    drop(drop_dir, "second.csv", numbered(1210, imd=2))
    staged_when_it_failed = fail_staging_after_two_chunks()
    with pytest.raises(OSError, match="disk full"):
        feed.run_feed_pass()
    assert staged_when_it_failed == [1000]  # two chunks of 500 committed
    assert population() == before  # the first file's records, all still in use
    assert {r[3] for r in before["records"]} == {first.population_import_id}
    assert not PopulationImportRow.objects.exists()
    assert list(PopulationImport.objects.all()) == [first.population_import]  # discarded
    assert FeedDelivery.objects.count() == deliveries and len(emails()) == 1
    assert listing(drop_dir)["waiting"] == ["second.csv"]  # tried again at the next pass

    monkeypatch.undo()
    (second,) = feed.run_feed_pass().deliveries
    assert second.outcome == FeedOutcome.APPLIED
    assert (second.population_import.created_count, second.population_import.updated_count) == (
        10,
        1200,
    )
    assert {imd for _, _, imd in population()["students"]} == {2}
    assert not PopulationImportRow.objects.exists()


@committed
def test_a_record_changed_at_the_switch_changes_nothing(drop_dir, monkeypatch):
    drop(drop_dir, "first.csv", numbered(3, imd=1))
    feed.run_feed_pass()
    before = population()
    drop(drop_dir, "second.csv", numbered(4, imd=2))
    real_apply = feed.apply_population_import

    def someone_takes_the_new_students_email(staged, **kwargs):
        StudentFactory(student_number="Q1", email="p3@example.ac.uk", imd_quintile=None)
        return real_apply(staged, **kwargs)

    monkeypatch.setattr(feed, "apply_population_import", someone_takes_the_new_students_email)
    (delivery,) = feed.run_feed_pass().deliveries

    assert delivery.outcome == FeedOutcome.FAILED
    assert "Nothing was imported; send the file again." in delivery.reason
    assert population() == {
        **before,
        "students": sorted([*before["students"], ("Q1", "p3@example.ac.uk", None)]),
    }
    assert PopulationImport.objects.filter(applied_at__isnull=True).count() == 0
    assert not PopulationImportRow.objects.exists()
    assert ActivityLog.objects.filter(action="population.discarded").count() == 1
    assert emails()[-1].subject == "Student records NOT imported: second.csv is broken"


@committed
def test_a_file_another_pass_imported_at_the_switch_is_a_duplicate(drop_dir, monkeypatch):
    content = numbered(4, imd=2)
    drop(drop_dir, "students.csv", content)
    real_apply = feed.apply_population_import

    def another_pass_first(staged, **kwargs):
        with feed.transaction.atomic():  # what the other pass's switch committed
            FeedDelivery.objects.create(
                source=FeedSource.URL,
                name="download.csv",
                sha256=staged.sha256,
                received_at=NOW,
                outcome=FeedOutcome.APPLIED,
            )
        return real_apply(staged, **kwargs)

    monkeypatch.setattr(feed, "apply_population_import", another_pass_first)
    (delivery,) = feed.run_feed_pass().deliveries

    assert delivery.outcome == FeedOutcome.DUPLICATE
    assert "The same file (download.csv) was imported on" in delivery.reason
    assert not Student.objects.exists() and not PopulationRecord.objects.exists()
    assert not PopulationImport.objects.exists() and emails() == []
