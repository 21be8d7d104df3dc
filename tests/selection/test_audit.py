"""The public audit file: a stranger with only the file and the script in docs/selection.md
(standard library only) recomputes every offer and waiting list; the file names nobody; a
student finds their own row and the cut-offs they faced."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from microintern.selection import commitment, domain
from tests.accounts.factories import StudentFactory
from tests.applications.factories import ExpressionOfInterestFactory
from tests.selection.conftest import close_interest

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "selection.md"


def verification_script() -> str:
    text = DOCS.read_text()
    return re.search(r"<!-- verify-audit -->\n```python\n(.*?)```", text, re.S).group(1)


def run_script(tmp_path, audit: dict) -> subprocess.CompletedProcess:
    script = tmp_path / "verify.py"
    script.write_text(verification_script())
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(audit, ensure_ascii=False))
    # -I: isolated, so nothing of the project (or its virtualenv's path) can be imported.
    return subprocess.run(
        [sys.executable, "-I", str(script), str(path)], capture_output=True, text=True
    )


@pytest.fixture
def published_round(build_round):
    """Three micro-internships (one with a reserve for group 2), twelve students with up to
    three ranked choices, a carer or two, a student who cannot come, a staff decision each
    way, and a student who withdraws after close."""
    interests = [(0, 1, 2), (0, 1), (1, 0), (0, 2, 1), (2,), (0,), (1, 2), (0, 1, 2)] * 2
    selection_round, mis, students, staff = build_round(
        capacities=(3, 2, 2), interests=interests[:12], close=False
    )
    for student in students[::3]:
        student.carer = True
        student.save()
    cannot = ExpressionOfInterestFactory(
        micro_internship=mis[0], verified_at=timezone.now(), can_attend=False
    )
    entries = {e.micro_internship_id: e for e in selection_round.entries.all()}
    domain.update_policy(
        selection_round,
        priority=["first_time", "widening_participation"],
        entries=[
            {
                "entry": entries[mis[0].pk],
                "reserve_group": 2,
                "reserve_seats": 1,
                "programme_cap": None,
            }
        ],
        reason="Keep one place for widening participation.",
        actor=staff,
    )
    # Two students had a place before: priority groups 2 (carer) and 3.
    past = ExpressionOfInterestFactory(micro_internship__capacity=5, state=PlaceState.ATTENDED)
    for student in (students[0], students[1]):
        ExpressionOfInterestFactory(
            student=student, micro_internship=past.micro_internship, state=PlaceState.ATTENDED
        )
    close_interest(selection_round, mis, staff)
    domain.add_override(
        selection_round,
        student=students[2],
        micro_internship=mis[1],
        action="add",
        reason="Asked for by the host.",
        actor=staff,
    )
    domain.add_override(
        selection_round,
        student=students[3],
        micro_internship=mis[0],
        action="remove",
        reason="Clash with an exam.",
        actor=staff,
    )
    transition_place(students[11].interests.first(), PlaceState.WITHDRAWN)  # one of three
    for interest in students[10].interests.all():  # all of them
        transition_place(interest, PlaceState.WITHDRAWN)
    run = domain.dry_run(selection_round, reason="Checking before publishing.", actor=staff)
    domain.publish(selection_round, dry_run_id=run.pk, actor=staff)
    selection_round.refresh_from_db()
    return selection_round, mis, [*students, cannot.student], staff


def test_a_round_is_recomputed_from_its_audit_file_alone(published_round, client, tmp_path):
    selection_round, mis, students, staff = published_round
    response = client.get(f"/selection/{selection_round.pk}/audit.json")
    assert response.status_code == 200
    audit = response.json()
    done = run_script(tmp_path, audit)
    assert done.returncode == 0, done.stderr
    offered_in_draw = sum(
        1 for p in audit["participants"] if p["status"] == "draw" and p["offered"]
    )
    assert done.stdout.strip().endswith(f"{offered_in_draw} offers recomputed")
    # The file's outcomes are what the students were told.
    for student in students:
        row = next(
            (
                p
                for p in audit["participants"]
                if p["pseudonym"]
                == commitment.pseudonym(selection_round.seed, student.student_number)
            ),
            None,
        )
        assert row is not None
        offered = [i for i in student.interests.all() if i.state == PlaceState.OFFERED]
        assert row["offered"] == (offered[0].micro_internship.reference if offered else None)
    statuses = {p["status"] for p in audit["participants"]}
    assert {"draw", "given_by_staff", "cannot_attend", "left_before_the_draw"} <= statuses
    assert any(p["taken_out_by_staff"] for p in audit["participants"])
    assert {p["group"] for p in audit["participants"] if p["status"] == "draw"} == {1, 2, 3}
    assert any(m["reserve"] for m in audit["micro_internships"])


@pytest.mark.parametrize(
    "tamper",
    [
        "offer",  # someone claims a different outcome
        "seed",  # a different seed
        "policy",  # a different policy than committed
        "participant",  # a participant added after the seal
        "group",  # a priority group changed where it changes no offer
    ],
)
def test_a_changed_audit_file_fails_the_check(published_round, client, tmp_path, tamper):
    selection_round, *_ = published_round
    audit = client.get(f"/selection/{selection_round.pk}/audit.json").json()
    rows = audit["participants"]
    in_draw = [p for p in rows if p["status"] == "draw"]
    if tamper == "offer":
        lucky = next(p for p in in_draw if not p["offered"])
        lucky["offered"] = lucky["ranking"][0]
    elif tamper == "seed":
        audit["round"]["seed"] = "0" * 64
    elif tamper == "policy":
        audit["round"]["policy"]["micro_internships"][0]["capacity"] += 1
    elif tamper == "group":
        aside = next(p for p in rows if p["status"] != "draw")
        aside["group"] = 1 if aside["group"] != 1 else 2
    else:
        rows.append({**in_draw[0], "pseudonym": "f" * 64})
    done = run_script(tmp_path, audit)
    assert done.returncode != 0
    assert "AssertionError" in done.stderr


def test_the_audit_file_names_nobody(published_round, client):
    selection_round, mis, students, staff = published_round
    text = client.get(f"/selection/{selection_round.pk}/audit.json").content.decode()
    for student in students:
        for value in (
            student.student_number,
            student.email,
            student.full_name,
            student.display_name,
            student.programme,
        ):
            assert value not in text
    audit = json.loads(text)
    keys = {key for row in audit["participants"] for key in row}
    assert keys == {
        "pseudonym",
        "choices",
        "ranking",
        "group",
        "status",
        "taken_out_by_staff",
        "outcome",
        "offered",
        "waitlists",
    }
    # Sorted by pseudonym: the order says nothing about when anyone applied.
    names = [row["pseudonym"] for row in audit["participants"]]
    assert names == sorted(names)


def test_no_audit_file_before_publishing(build_round, client):
    selection_round, *_ = build_round(capacities=(1,), interests=[(0,)] * 2)
    assert client.get(f"/selection/{selection_round.pk}/audit.json").status_code == 404
    assert client.get(f"/selection/{selection_round.pk}/my-cutoff/").status_code == 404
    page = client.get(f"/selection/{selection_round.pk}/").content.decode()
    assert "audit.json" not in page


def test_a_student_finds_their_row_and_the_cutoffs_they_faced(published_round, client):
    selection_round, mis, students, staff = published_round
    audit = client.get(f"/selection/{selection_round.pk}/audit.json").json()
    row = next(p for p in audit["participants"] if p["status"] == "draw" and not p["offered"])
    page = client.get(
        f"/selection/{selection_round.pk}/my-cutoff/", {"number": row["pseudonym"].upper()}
    ).content.decode()
    assert ", ".join(row["choices"]) in page
    cutoffs = {m["reference"]: m["cutoff"] for m in audit["micro_internships"]}
    for ref in row["ranking"]:
        if cutoffs[ref]:
            assert f"{ref}: The last place went to {cutoffs[ref]}." in page
    for ref, position in row["waitlists"].items():
        assert f"Waiting list for {ref}</dt><dd>number {position}" in page
    # A mistyped number: a clear message, and what was typed stays in the box.
    response = client.get(f"/selection/{selection_round.pk}/my-cutoff/", {"number": "abc123"})
    assert response.status_code == 404
    text = response.content.decode()
    assert "No participant has this number" in text
    assert 'value="abc123"' in text


def test_a_new_student_is_a_participant_only_once_confirmed_by_close(build_round):
    selection_round, (mi,), students, staff = build_round(
        capacities=(1,), interests=[(0,)] * 2, close=False
    )
    late = ExpressionOfInterestFactory(micro_internship=mi)
    close_interest(selection_round, [mi], staff)
    selection_round.refresh_from_db()
    assert len(selection_round.participants) == 2
    # Confirming after close does not join the sealed list: counted as not confirmed.
    type(late).objects.filter(pk=late.pk).update(verified_at=timezone.now())
    result = domain.dry_run(selection_round, reason="Check.", actor=staff).result
    assert result["unconfirmed"] == 1
    assert late.student.student_number not in {s["student_number"] for s in result["students"]}


def test_someone_joining_after_the_seal_stops_the_draw_until_reopened(build_round):
    selection_round, (mi,), students, staff = build_round(capacities=(1,), interests=[(0,)] * 2)
    earlier = timezone.now() - timezone.timedelta(days=1)
    ExpressionOfInterestFactory(
        micro_internship=mi, student=StudentFactory(with_user=True), verified_at=earlier
    )
    with pytest.raises(domain.SelectionRefused, match="joined or changed choices"):
        domain.dry_run(selection_round, reason="Check.", actor=staff)
