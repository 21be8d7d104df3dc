"""Activity-log actions: every code the source logs is registered with a sentence, and the
staff feed shows sentences, never codes."""

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from microintern.core import activity
from microintern.core.domain import activity_for, log_activity, logging_together
from microintern.core.models import ActivityLog
from tests.accounts.factories import sign_in

SOURCE = Path(__file__).resolve().parents[2] / "src" / "microintern"
LOGGERS = {"log_activity": 1, "activity_entry": 1}  # the action is their second argument
CODE = re.compile(r"\b[a-z_]+\.[a-z_]+\b")


def _called(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _action_argument(call: ast.Call, position: int) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "action":
            return keyword.value
    return call.args[position] if len(call.args) > position else None


def _trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(), str(path)) for path in SOURCE.rglob("*.py")}


def _wrappers(trees) -> dict[str, int]:
    """log_activity and activity_entry, and every function that passes one of its own
    parameters on to them as the action (e.g. a batch's `log(subject, action)`)."""
    loggers = dict(LOGGERS)
    changed = True
    while changed:
        changed = False
        for tree in trees.values():
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef) or function.name in loggers:
                    continue
                parameters = [a.arg for a in function.args.args if a.arg not in {"self", "cls"}]
                keyword_only = {a.arg for a in function.args.kwonlyargs}
                for call in ast.walk(function):
                    if isinstance(call, ast.Call) and _called(call) in loggers:
                        action = _action_argument(call, loggers[_called(call)])
                        if isinstance(action, ast.Name) and action.id in parameters:
                            loggers[function.name] = parameters.index(action.id)
                            changed = True
                        elif isinstance(action, ast.Name) and action.id == "action" in keyword_only:
                            loggers[function.name] = len(function.args.args) + 99  # by keyword
                            changed = True
    return loggers


def logged_codes() -> tuple[set[str], set[str], list[str]]:
    """(literal codes, prefixes of f-string codes, calls whose code cannot be read)."""
    trees = _trees()
    loggers = _wrappers(trees)
    tables = _code_tables(trees)
    literals, prefixes, unreadable = set(), set(), []
    for path, tree in trees.items():
        where = path.relative_to(SOURCE.parent)
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            own = {a.arg for a in (*function.args.args, *function.args.kwonlyargs)}
            for call in ast.walk(function):
                if not (isinstance(call, ast.Call) and _called(call) in loggers):
                    continue
                action = _action_argument(call, loggers[_called(call)])
                if action is None and loggers[_called(call)] > len(call.args):
                    continue  # a wrapper called without its keyword: it logs its own default
                if isinstance(action, ast.Name):
                    assigned = _assigned_in(function, action.id)
                    candidates = assigned
                    if not assigned and action.id not in own:
                        unreadable.append(f"{where}:{call.lineno}")
                elif isinstance(action, ast.Subscript) and isinstance(action.value, ast.Name):
                    candidates = tables.get(action.value.id)
                    if candidates is None:
                        unreadable.append(f"{where}:{call.lineno}")
                        candidates = []
                else:
                    candidates = [action]
                for candidate in candidates:
                    if not _read_code(candidate, literals, prefixes):
                        unreadable.append(f"{where}:{call.lineno}")
    return literals, prefixes, unreadable


def _read_code(node, literals: set[str], prefixes: set[str]) -> bool:
    """Add a written code (a string, or an f-string's fixed start) to the sets."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        literals.add(node.value)
        return True
    if isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.Constant):
        prefixes.add(str(node.values[0].value).removesuffix("."))
        return True
    return False


def _assigned_in(function, name: str) -> list:
    """The values `name` is given inside `function` (plain or tuple assignments)."""
    values = []
    for node in ast.walk(function):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == name:
                values.append(node.value)
            elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                for element, value in zip(target.elts, node.value.elts, strict=False):
                    if isinstance(element, ast.Name) and element.id == name:
                        values.append(value)
    return values


def _code_tables(trees) -> dict[str, list]:
    """Module-level dicts of codes (e.g. `ROUND_LOG_ACTIONS`), by name: their values."""
    tables = {}
    for tree in trees.values():
        for node in tree.body:
            target = getattr(node, "target", None) or (
                node.targets[0] if isinstance(node, ast.Assign) else None
            )
            if isinstance(target, ast.Name) and isinstance(getattr(node, "value", None), ast.Dict):
                tables[target.id] = list(node.value.values)
    return tables


def test_the_scan_finds_the_codes_the_source_logs():
    literals, prefixes, unreadable = logged_codes()
    assert {"interest.refused_number_on_record", "inbound.reprocess", "email.failed"} <= literals
    assert {"place", "challenge", "micro_internship", "inbound"} <= prefixes
    assert len(literals) >= 40
    assert not unreadable, f"Log a code written in the call, not computed elsewhere: {unreadable}"


def test_every_code_logged_in_the_source_is_registered_with_a_sentence():
    literals, prefixes, _ = logged_codes()
    assert not sorted(literals - set(activity.ACTIONS)), (
        "Register these codes with a sentence in microintern/core/activity.py ACTIONS"
    )
    assert not sorted(prefixes - set(activity.STATE_CHANGES)), (
        'Register these f"<prefix>.{state}" families in core/activity.py STATE_CHANGES'
    )


def every_state_code() -> list[str]:
    codes = []
    for prefix, model in activity.STATE_CHANGES.items():
        field = apps.get_model(model)._meta.get_field("state")
        codes += [f"{prefix}.{value}" for value, _label in field.flatchoices]
    return codes


@pytest.mark.parametrize("code", sorted(activity.ACTIONS) + every_state_code())
def test_every_registered_action_reads_as_a_sentence(code):
    sentence = activity.describe(code)
    assert activity.is_registered(code)
    assert sentence[0].isupper() and not CODE.search(sentence) and "_" not in sentence


def test_registered_sentences_are_not_codes_and_codes_are_well_formed():
    for code, sentence in activity.ACTIONS.items():
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", code), code
        assert sentence and sentence != code


def test_an_unregistered_code_still_reads_without_dots():
    assert activity.describe("something.went_right") == "Something: went right"
    assert not activity.is_registered("something.went_right")


@pytest.mark.django_db
def test_the_feed_shows_sentences_never_codes(interest):
    transition_place(interest, PlaceState.NOT_SELECTED, reason="More interest than places")
    for code in sorted(activity.ACTIONS):
        log_activity(interest, code)
    html = render_to_string("core/_activity.html", {"activity": activity_for(interest)})
    text = re.sub(r"<[^>]+>", " ", html)
    assert "Not selected (was: received) · “More interest than places”" in text
    assert "Offered a place" in text
    assert not CODE.findall(text)


@pytest.mark.django_db
def test_the_staff_micro_internship_page_shows_the_sentence(client, make_user, interest):
    transition_place(interest, PlaceState.NOT_SELECTED)
    sign_in(client, make_user("staff"))
    page = client.get(
        reverse("staff:micro_internship", args=[interest.micro_internship.pk])
    ).content.decode()
    assert "Not selected (was: received)" in page
    assert "place.not_selected" not in page


def test_long_text_in_the_feed_wraps_on_a_narrow_screen():
    css = (SOURCE / "static" / "microintern" / "site.css").read_text()
    assert re.search(r"\.activity li \{[^}]*overflow-wrap: anywhere", css)


def test_every_registered_code_is_logged_somewhere_or_is_a_state():
    literals, _, _ = logged_codes()
    stale = set(activity.ACTIONS) - literals - set(every_state_code())
    assert not sorted(stale), "Nothing logs these any more: remove them from ACTIONS"


@pytest.mark.django_db
def test_entries_logged_together_are_written_at_the_end_of_the_block_in_one_statement(
    interest,
):
    with CaptureQueriesContext(connection) as captured, logging_together():
        log_activity(interest, "interest.received", source="web")
        with logging_together():  # a block inside another joins it
            log_activity(interest.student, "student.created_from_interest")
        assert not ActivityLog.objects.exists()  # not written yet
    inserts = [q for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert [e.action for e in activity_for(interest, interest.student).order_by("pk")] == [
        "interest.received",
        "student.created_from_interest",
    ]


@pytest.mark.django_db
def test_an_error_inside_the_block_logs_nothing(interest):
    with pytest.raises(RuntimeError), logging_together():
        log_activity(interest, "interest.received", source="web")
        raise RuntimeError("the change failed")
    log_activity(interest, "interest.verified", how="link")  # and logging goes on as before
    assert [e.action for e in activity_for(interest)] == ["interest.verified"]
