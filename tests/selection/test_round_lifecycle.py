"""The selection round lifecycle: one transition table, one transition function, nothing
else writes a round's state; a failed publish is recorded on the round; the result is typed
and stored as the same JSON; every sentence a student reads is written in `wording`."""

import ast
import copy
import importlib
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone

import microintern
from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from microintern.core.domain import log_activity
from microintern.core.models import ActivityLog
from microintern.selection import domain, engine
from microintern.selection.domain import rounds
from microintern.selection.domain.results import RoundResult
from microintern.selection.enums import ROUND_TRANSITIONS, RoundState
from microintern.selection.errors import SelectionRefused
from microintern.selection.models import SelectionRound
from tests.accounts.factories import sign_in

pytestmark = pytest.mark.django_db

SOURCE = Path(microintern.__file__).parent
SELECTION = SOURCE / "selection"
EVERY_MOVE = [(a, b) for a in RoundState for b in RoundState]
ALLOWED = [(a, b) for a, b in EVERY_MOVE if b in ROUND_TRANSITIONS[a]]
REFUSED = [(a, b) for a, b in EVERY_MOVE if b not in ROUND_TRANSITIONS[a]]


def put_in_state(selection_round, state):
    """Tests only: place a round in a state without going through the lifecycle."""
    published_at = timezone.now() if state == RoundState.PUBLISHED else None
    closed_at = None if state == RoundState.DRAFT else timezone.now()
    digest = {"participants_digest": ""} if state == RoundState.DRAFT else {}
    SelectionRound.objects.filter(pk=selection_round.pk).update(
        state=state, published_at=published_at, closed_at=closed_at, **digest
    )
    selection_round.refresh_from_db()


def round_log(selection_round):
    return ActivityLog.objects.filter(
        object_id=str(selection_round.pk), action__startswith="selection."
    )


def test_every_state_has_its_moves_and_every_move_its_log_action():
    assert set(ROUND_TRANSITIONS) == set(RoundState)
    assert set(rounds.ROUND_LOG_ACTIONS) == set(ALLOWED)
    assert RoundState.open_to_change() | RoundState.closed_to_change() == set(RoundState)
    assert not RoundState.open_to_change() & RoundState.closed_to_change()
    assert not ROUND_TRANSITIONS[RoundState.PUBLISHED]


@pytest.mark.parametrize(("from_state", "to_state"), ALLOWED)
def test_allowed_moves_save_log_and_update_the_callers_round(
    build_round, from_state, to_state, django_capture_on_commit_callbacks
):
    selection_round, _mis, _students, staff = build_round(capacities=(1,), interests=[(0,)])
    put_in_state(selection_round, from_state)
    before = round_log(selection_round).count()
    fields = {
        RoundState.PUBLISHED: {"published_at": timezone.now()},
        RoundState.CLOSED: {"closed_at": timezone.now()},
        RoundState.DRAFT: {"closed_at": None, "participants_digest": ""},
    }.get(to_state, {})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        domain.transition_round(selection_round, to_state, actor=staff, reason="why", **fields)
    assert selection_round.state == to_state
    selection_round.refresh_from_db()
    assert selection_round.state == to_state
    logged = round_log(selection_round).order_by("-pk").first()
    assert round_log(selection_round).count() == before + 1
    assert logged.action == rounds.ROUND_LOG_ACTIONS[(from_state, to_state)]
    assert logged.actor == staff
    assert logged.data["from_state"] == from_state
    assert logged.data["reason"] == "why"
    # Only a move to "publishing" hands work to the worker.
    assert len(callbacks) == (1 if to_state == RoundState.PUBLISHING else 0)


@pytest.mark.parametrize(("from_state", "to_state"), REFUSED)
def test_refused_moves_change_and_log_nothing(build_round, from_state, to_state):
    selection_round, _mis, _students, staff = build_round(capacities=(1,), interests=[(0,)])
    put_in_state(selection_round, from_state)
    before = round_log(selection_round).count()
    with pytest.raises(SelectionRefused, match="cannot move from"):
        domain.transition_round(selection_round, to_state, actor=staff)
    selection_round.refresh_from_db()
    assert selection_round.state == from_state
    assert round_log(selection_round).count() == before


def test_the_state_is_only_given_as_the_move(build_round):
    selection_round, *_ = build_round(capacities=(1,), interests=[])
    with pytest.raises(TypeError):
        domain.transition_round(selection_round, RoundState.DRY_RUN, state=RoundState.PUBLISHED)
    selection_round.refresh_from_db()
    assert selection_round.state == RoundState.CLOSED


def test_only_the_first_dry_run_moves_the_round_and_each_run_is_logged_once(build_round):
    selection_round, _mis, _students, staff = build_round(capacities=(1,), interests=[(0,)] * 2)
    first = domain.dry_run(selection_round, actor=staff)
    second = domain.dry_run(selection_round, actor=staff)
    assert selection_round.state == RoundState.DRY_RUN
    logged = round_log(selection_round).filter(action="selection.dry_run").order_by("pk")
    assert [e.data["run"] for e in logged] == [first.pk, second.pk]
    assert [e.data["offers"] for e in logged] == [1, 1]
    assert logged[0].data["from_state"] == RoundState.CLOSED


# --------------------------------------------------------- nothing else writes it

STATE_WRITING_CALLS = {"update", "create", "get_or_create", "update_or_create"}


def _state_writes(tree: ast.AST, only_rounds: bool):
    """(function name, line) of every write of a `.state` in the module: an assignment to
    `x.state`, `setattr(x, "state", ...)`, `.update(state=...)`/`.create(state=...)` and
    `bulk_update(..., ["state"])`. Outside the selection app only writes whose receiver
    names a round count."""

    def about_a_round(node) -> bool:
        return not only_rounds or "round" in ast.unparse(node).lower()

    def walk(node, function):
        for child in ast.iter_child_nodes(node):
            name = (
                child.name
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
                else function
            )
            if isinstance(child, ast.Assign | ast.AugAssign | ast.AnnAssign):
                targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                for target in targets:
                    for node_ in ast.walk(target):
                        if (
                            isinstance(node_, ast.Attribute)
                            and node_.attr == "state"
                            and isinstance(node_.ctx, ast.Store)
                            and about_a_round(node_.value)
                        ):
                            yield name, child.lineno
            if isinstance(child, ast.Call):
                func = child.func
                if (
                    isinstance(func, ast.Name)
                    and func.id == "setattr"
                    and len(child.args) > 1
                    and isinstance(child.args[1], ast.Constant)
                    and child.args[1].value == "state"
                    and about_a_round(child.args[0])
                ):
                    yield name, child.lineno
                if isinstance(func, ast.Attribute) and about_a_round(func.value):
                    keywords = {k.arg for k in child.keywords}
                    if func.attr in STATE_WRITING_CALLS and "state" in keywords:
                        yield name, child.lineno
                    if func.attr == "bulk_update" and "state" in ast.unparse(child):
                        yield name, child.lineno
            yield from walk(child, name)

    yield from walk(tree, "<module>")


def test_nothing_but_transition_round_writes_a_rounds_state():
    allowed = {("selection/domain/rounds.py", "transition_round")}
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE).as_posix()
        in_selection = relative.startswith("selection/")
        text = path.read_text()
        if not in_selection and "SelectionRound" not in text:
            continue
        tree = ast.parse(text, filename=str(path))
        for function, line in _state_writes(tree, only_rounds=not in_selection):
            if (relative, function) not in allowed:
                found.append(f"{relative}:{line} in {function}")
    assert found == [], "write SelectionRound.state only through transition_round"


def test_the_source_walk_finds_each_kind_of_write():
    source = (
        "def a(r):\n    r.state = 'x'\n"
        "def b(r):\n    SelectionRound.objects.filter(pk=1).update(state='x')\n"
        "def c(r):\n    setattr(r, 'state', 'x')\n"
        "def d(rounds):\n    SelectionRound.objects.bulk_update(rounds, ['state'])\n"
        "def e(r):\n    SelectionRound.objects.create(name='n', state='x')\n"
    )
    writes = [name for name, _line in _state_writes(ast.parse(source), only_rounds=False)]
    assert writes == ["a", "b", "c", "d", "e"]
    # Outside selection, only writes on something named a round count.
    elsewhere = (
        "def f(mi):\n    mi.state = 'x'\ndef g(selection_round):\n    selection_round.state = 1\n"
    )
    assert [n for n, _l in _state_writes(ast.parse(elsewhere), only_rounds=True)] == ["g"]


# ------------------------------------------------------------- a failed publish


def test_a_failed_publish_is_recorded_on_the_round_and_cleared_by_the_next_attempt(
    build_round, django_capture_on_commit_callbacks, client
):
    selection_round, _mis, students, staff = build_round(capacities=(1,), interests=[(0,)] * 3)
    run = domain.dry_run(selection_round, actor=staff)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        domain.start_publishing(selection_round, dry_run_id=run.pk, actor=staff)
    selection_round.refresh_from_db()
    assert selection_round.publishing_run == run
    transition_place(students[0].interests.get(), PlaceState.WITHDRAWN)
    for callback in callbacks:
        callback()
    selection_round.refresh_from_db()
    assert selection_round.state == RoundState.DRY_RUN
    assert selection_round.publish_failure.startswith("Something changed since this dry run")
    assert selection_round.publish_failed_at is not None
    failed = round_log(selection_round).get(action="selection.publish_failed")
    assert failed.data["reason"] == selection_round.publish_failure
    # The staff page reads the round, not the activity log.
    ActivityLog.objects.filter(action="selection.publish_failed").delete()
    sign_in(client, staff)
    page = client.get(f"/staff/selection/{selection_round.pk}/").content.decode()
    assert "Publishing did not happen" in page
    assert "Something changed since this dry run" in page
    # Trying again clears it; publishing then succeeds.
    run = domain.dry_run(selection_round, actor=staff)
    page = client.get(f"/staff/selection/{selection_round.pk}/").content.decode()
    assert "Publishing did not happen" in page  # still shown until the next attempt
    with django_capture_on_commit_callbacks(execute=True):
        domain.start_publishing(selection_round, dry_run_id=run.pk, actor=staff)
        selection_round.refresh_from_db()
        assert selection_round.publish_failure == ""
        assert selection_round.publish_failed_at is None
    selection_round.refresh_from_db()
    assert selection_round.state == RoundState.PUBLISHED
    page = client.get(f"/staff/selection/{selection_round.pk}/").content.decode()
    assert "Publishing did not happen" not in page


def test_the_database_keeps_a_publish_failure_consistent(build_round):
    selection_round, *_ = build_round(capacities=(1,), interests=[])
    rows = SelectionRound.objects.filter(pk=selection_round.pk)
    now = timezone.now()
    for fields in (
        {"publish_failure": "Changed."},  # no time
        {"publish_failed_at": now},  # no reason
        {"publish_failed_at": now, "publish_failure": "Changed."},  # still a draft
        {"state": RoundState.PUBLISHING, "publish_failed_at": now, "publish_failure": "x"},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            rows.update(closed_at=None if "state" not in fields else now, **fields)
    rows.update(
        state=RoundState.DRY_RUN, closed_at=now, publish_failed_at=now, publish_failure="Changed."
    )


def test_the_migration_keeps_failures_the_activity_log_recorded(build_round):
    migration = importlib.import_module(
        "microintern.selection.migrations.0003_round_publish_failure"
    )
    failed, retried, never = (build_round(capacities=(1,), interests=[])[0] for _ in range(3))
    for selection_round in (failed, retried, never):
        put_in_state(selection_round, RoundState.DRY_RUN)
    for selection_round in (failed, retried):
        log_activity(selection_round, "selection.publishing", dry_run=1)
        log_activity(selection_round, "selection.publish_failed", reason="Something changed.")
    log_activity(retried, "selection.publishing", dry_run=2)
    migration.from_activity_log(apps, None)
    for selection_round in (failed, retried, never):
        selection_round.refresh_from_db()
    assert failed.publish_failure == "Something changed."
    assert failed.publish_failed_at is not None
    assert retried.publish_failure == never.publish_failure == ""


# ---------------------------------------------------------------- the result


def test_the_typed_result_is_stored_as_the_same_json(build_round):
    selection_round, mis, students, staff = build_round(
        capacities=(2, 1), interests=[(0, 1), (1, 0), (0,), (0, 1), (1,)]
    )
    run = domain.dry_run(selection_round, actor=staff)
    result = RoundResult.from_json(run.result)
    assert result.to_json() == run.result
    assert RoundResult.from_json(result.to_json()) == result
    student = result.students[0]
    assert run.result["students"][0]["decisions"] == {
        ref: [decision.state.value, decision.reason] for ref, decision in student.decisions.items()
    }
    assert result.offers == sum(1 for s in run.result["students"] if s["outcome"] == "offered")
    inputs, typed = domain.compute_result(selection_round)
    assert (inputs, typed.to_json()) == domain.compute(selection_round)


def test_computing_a_result_changes_none_of_the_engines_objects(build_round, monkeypatch):
    selection_round, *_ = build_round(capacities=(1, 1, 1), interests=[(0, 1, 2)] * 6)
    seen = []
    allocate = engine.allocate

    def keep(*args, **kwargs):
        allocation = allocate(*args, **kwargs)
        seen.append((allocation, copy.deepcopy(allocation)))
        return allocation

    monkeypatch.setattr(engine, "allocate", keep)
    domain.compute(selection_round)
    ((allocation, before),) = seen
    assert allocation == before


# ---------------------------------------------------------------- the words


def _strings(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_text and id(node) not in docstrings:
            yield node.value


def test_every_sentence_to_a_student_is_written_in_wording():
    """Sentences addressed to the student ("you", "your") live in `wording`; the lottery
    part of an explanation is the pure engine's own renderer."""
    speaking = re.compile(r"\byou(r)?\b", re.IGNORECASE)
    found = [
        f"{path.relative_to(SELECTION)}: {text!r}"
        for path in sorted(SELECTION.rglob("*.py"))
        if path.name not in ("wording.py", "engine.py") and "migrations" not in path.parts
        for text in _strings(path)
        if speaking.search(text)
    ]
    assert found == []


def test_templates_test_states_through_the_enums_groups():
    raw = re.compile(r"\.(state|kind)\s*[!=]=")
    found = [
        str(path.relative_to(SELECTION))
        for path in sorted(SELECTION.rglob("*.html"))
        if raw.search(path.read_text())
    ]
    assert found == []


def test_no_command_or_domain_module_imports_views_or_forms():
    found = []
    for folder in ("domain", "management"):
        for path in sorted((SELECTION / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom):
                    names = [node.module or "", *(a.name for a in node.names)]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                else:
                    continue
                if any(part in ("views", "forms") for n in names for part in n.split(".")):
                    found.append(f"{path.relative_to(SELECTION)}:{node.lineno}")
    assert found == []
