"""`python -m microintern allocate --round ID --dry-run [--json]` says what the staff page
says; the selection package never reads special-category (equality) data."""

import ast
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from microintern import selection
from microintern.selection import domain
from tests.accounts.factories import sign_in

pytestmark = pytest.mark.django_db


def allocate(*args) -> str:
    out = StringIO()
    call_command("allocate", *args, stdout=out)
    return out.getvalue()


def test_command_prints_what_the_page_shows(build_round, client):
    selection_round, mis, students, staff = build_round(
        capacities=(2, 1), interests=[(0, 1), (1, 0), (0,), (0, 1), (1,)]
    )
    run = domain.dry_run(selection_round, actor=staff)
    sign_in(client, staff)
    page = client.get(f"/staff/selection/{selection_round.pk}/").content.decode()
    as_json = json.loads(allocate("--round", str(selection_round.pk), "--dry-run", "--json"))
    assert as_json == run.result
    text = allocate("--round", str(selection_round.pk), "--dry-run")
    for row in run.result["students"]:
        line = next(ln for ln in text.splitlines() if ln.startswith(row["student_number"]))
        assert line.endswith(row["explanation"])
        assert row["explanation"] in page.replace("&#x27;", "'")
        assert row["student_number"] in page
    for m in run.result["micro_internships"]:
        assert f"{len(m['team'])} offered, {len(m['waitlist'])} on the waiting list" in text


def test_command_only_does_dry_runs(build_round):
    from django.core.management.base import CommandError

    selection_round, *_ = build_round(capacities=(1,), interests=[(0,)])
    with pytest.raises(CommandError, match="dry-run"):
        allocate("--round", str(selection_round.pk))
    with pytest.raises(CommandError, match="no selection round"):
        allocate("--round", "999999", "--dry-run")


def equality_fields() -> set[str]:
    from microintern.insights.models import EqualityMonitoring

    fields = {f.name for f in EqualityMonitoring._meta.get_fields()}
    return (fields - {"id", "student", "answered_at", "updated_at"}) | {"equality_monitoring"}


def test_selection_imports_nothing_from_insights_and_uses_no_equality_fields():
    """DESIGN principle 2 / DPA 2018 Sch.1 para 8: equality data is for monitoring only."""
    forbidden = equality_fields()
    package = Path(selection.__file__).parent
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert "insights" not in (node.module or ""), f"{path}: imports {node.module}"
            if isinstance(node, ast.Import):
                assert not any("insights" in a.name for a in node.names), path
            if isinstance(node, ast.Attribute):
                assert node.attr not in forbidden, f"{path}: uses .{node.attr}"
            if isinstance(node, ast.Name):
                assert node.id not in forbidden, f"{path}: uses {node.id}"
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                words = set(node.value.replace("__", " ").split())
                assert not words & forbidden, f"{path}: mentions {words & forbidden}"
    for path in package.rglob("*.html"):
        text = path.read_text()
        assert not any(f".{name}" in text for name in forbidden), path


def test_equality_answers_change_nobodys_outcome(build_round):
    from microintern.insights.models import EqualityMonitoring

    selection_round, mis, students, staff = build_round(capacities=(2,), interests=[(0,)] * 6)
    before = domain.compute(selection_round)
    for student in students:
        EqualityMonitoring.objects.create(
            student=student,
            ethnicity="10",
            disability_codes="51",
            disability_group="x",
            religion="10",
            sexual_orientation="10",
            answered_at=timezone.now(),
        )
    assert domain.compute(selection_round) == before
