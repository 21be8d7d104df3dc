"""Two feed passes at once (two `run_periodic` loops by mistake) import a file once: the
UNIQUE constraint among imported deliveries decides, on PostgreSQL's real connections."""

import threading

import pytest
from django.db import connection

from microintern.accounts.models import Student
from microintern.insights import feed
from microintern.insights.enums import FeedOutcome, FeedSource
from microintern.insights.models import FeedDelivery, PopulationImport, PopulationRecord
from microintern.mail.models import OutboundMessage

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
THREADS = 4
CONTENT = (
    "student_number,email,full_name,level\n"
    + "".join(f"S{n},s{n}@example.ac.uk,Student {n},UG\n" for n in range(200))
).encode()


def test_one_file_received_by_several_passes_at_once_is_imported_once(settings):
    settings.MICROINTERN_STUDENT_FEED = {
        **settings.MICROINTERN_STUDENT_FEED,
        "NOTIFY": ["records-team@example.ac.uk"],
        "ACADEMIC_YEAR": "2026/27",
    }
    barrier = threading.Barrier(THREADS)
    outcomes = [""] * THREADS

    def run(i):
        try:
            barrier.wait()
            delivery = feed.receive_file(source=FeedSource.DROP, name=f"{i}.csv", content=CONTENT)
            outcomes[i] = delivery.outcome
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == sorted([FeedOutcome.APPLIED] + [FeedOutcome.DUPLICATE] * 3)
    assert FeedDelivery.objects.filter(outcome=FeedOutcome.APPLIED).count() == 1
    assert PopulationImport.objects.filter(applied_at__isnull=False).count() == 1
    assert Student.objects.count() == PopulationRecord.objects.count() == 200
    assert OutboundMessage.objects.filter(role="student_record_feed").count() == 1
