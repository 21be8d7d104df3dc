"""The inbound message lifecycle: one table of moves, one module that writes the state."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import microintern
from microintern.core.errors import Refusal, TransitionNotAllowed
from microintern.mail.inbound import imap, lifecycle, pipeline, store, triage
from microintern.mail.inbound.enums import INBOUND_MESSAGE_TRANSITIONS, MessageState
from microintern.mail.inbound.lifecycle import Outcome
from microintern.mail.inbound.models import InboundMessage

from .helpers import eoi

SRC = Path(microintern.__file__).parent
INBOUND = SRC / "mail" / "inbound"
OWNER = INBOUND / "lifecycle.py"
PURE_CORES = ("parse.py", "classify.py", "interpret.py")
HEAVY = ("bs4", "flufl.bounce", "talon", "email_reply_parser")


# The table -----------------------------------------------------------------------------------


def test_every_state_has_a_row_and_every_move_ends_in_a_final_state():
    assert set(INBOUND_MESSAGE_TRANSITIONS) == set(MessageState)
    for targets in INBOUND_MESSAGE_TRANSITIONS.values():
        assert targets <= set(MessageState.final())


def test_a_message_that_became_an_interest_stays_so():
    for state in MessageState.became_interest():
        assert INBOUND_MESSAGE_TRANSITIONS[state] == set()
    for state in MessageState.reopenable():
        assert INBOUND_MESSAGE_TRANSITIONS[state] == set(MessageState.final())
    assert MessageState.STORED not in INBOUND_MESSAGE_TRANSITIONS[MessageState.STORED]


@pytest.mark.django_db
def test_a_move_outside_the_table_is_refused_and_changes_nothing(corpus_world):
    message = store.store_message(eoi()).message
    pipeline.process_message(message.pk)
    message.refresh_from_db()
    assert message.state == MessageState.INTEREST_CREATED
    with pytest.raises(TransitionNotAllowed):
        lifecycle.transition_message(message, Outcome(MessageState.TRIAGE, "no"))
    message.refresh_from_db()
    assert message.state == MessageState.INTEREST_CREATED and message.reason != "no"


@pytest.mark.django_db
def test_the_move_is_checked_against_the_state_in_the_database(corpus_world):
    message = store.store_message(eoi()).message
    stale = InboundMessage.objects.get(pk=message.pk)
    pipeline.process_message(message.pk)
    stale.state = MessageState.TRIAGE  # an old copy of the row must not pass for the truth
    with pytest.raises(TransitionNotAllowed):
        lifecycle.transition_message(stale, Outcome(MessageState.SET_ASIDE, "stale"))
    assert InboundMessage.objects.get(pk=message.pk).state == MessageState.INTEREST_CREATED


@pytest.mark.django_db
def test_setting_aside_an_interest_is_a_refusal_a_person_can_read(corpus_world):
    message = store.store_message(eoi()).message
    pipeline.process_message(message.pk)
    with pytest.raises(Refusal, match="withdraw the interest"):
        triage.set_aside(message, reason="spam", actor=None)


@pytest.mark.django_db
def test_setting_aside_remembers_where_a_message_was_and_restoring_goes_back(corpus_world):
    message = store.store_message(eoi(sender="stranger@gmail.example")).message
    pipeline.process_message(message.pk)
    message.refresh_from_db()
    was = (message.state, message.reason)
    assert was[0] == MessageState.TRIAGE
    triage.set_aside(message, reason="not for us", actor=None)
    message.refresh_from_db()
    assert (message.restore_state, message.restore_reason) == was
    assert message.reason_code == "by_staff"
    triage.restore(message, actor=None)
    message.refresh_from_db()
    assert (message.state, message.reason, message.reason_code) == (*was, "")
    with pytest.raises(Refusal, match="not set aside"):
        triage.restore(message, actor=None)


def test_errors_people_read_are_refusals():
    assert issubclass(triage.ReplyRefused, Refusal)
    assert issubclass(imap.MailboxBusy, Refusal)
    assert issubclass(imap.MailboxProblem, Refusal)


# Nothing else writes the state --------------------------------------------------------------


def _names_a_state_list(node: ast.AST, state_lists: set[str]) -> bool:
    """A literal list of field names with "state" in it, or a name bound to one."""
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return any(isinstance(e, ast.Constant) and e.value == "state" for e in node.elts)
    if isinstance(node, ast.Name | ast.Attribute):
        name = node.id if isinstance(node, ast.Name) else node.attr
        return name in state_lists
    return False


def state_writes(source: str) -> list[int]:
    """Line numbers where `source` writes a `state` field: `x.state = ...`, `setattr(x,
    "state", ...)`, `.update(state=...)` and the like, or a save / bulk write of a field list
    with "state" in it (literal, or a module-level name bound to one)."""
    tree = ast.parse(source)
    state_lists = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and _names_a_state_list(node.value, set())
        for target in node.targets
        if isinstance(target, ast.Name)
    } | {"PROCESSING_FIELDS"}
    lines = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for part in ast.walk(target):
                if isinstance(part, ast.Attribute) and part.attr == "state":
                    lines.append(node.lineno)
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        bulk = name in {"update_rows", "bulk_update"}
        if (
            name == "setattr"
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value == "state"
        ):
            lines.append(node.lineno)
        if any(keyword.arg == "state" for keyword in node.keywords) and name in {
            "update",
            "update_or_create",
            "create",
            "get_or_create",
            "InboundMessage",
        }:
            lines.append(node.lineno)
        if bulk and any(_names_a_state_list(arg, state_lists) for arg in node.args[1:]):
            lines.append(node.lineno)
        for keyword in node.keywords:
            if (keyword.arg == "update_fields" or (bulk and keyword.arg == "fields")) and (
                _names_a_state_list(keyword.value, state_lists)
            ):
                lines.append(node.lineno)
    return sorted(set(lines))


def _code_that_can_hold_inbound_messages() -> list[Path]:
    return [
        path
        for path in sorted(SRC.rglob("*.py"))
        if "migrations" not in path.parts
        and (INBOUND in path.parents or "InboundMessage" in path.read_text(encoding="utf-8"))
    ]


def test_only_the_lifecycle_module_writes_the_message_state():
    offenders = [
        f"{path.relative_to(SRC)}:{line}"
        for path in _code_that_can_hold_inbound_messages()
        if path != OWNER
        for line in state_writes(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    assert state_writes(OWNER.read_text(encoding="utf-8")), "the walker no longer sees the owner"


@pytest.mark.parametrize(
    "code",
    [
        "message.state = 'triage'",
        "locked.state, locked.reason = s, r",
        "InboundMessage.objects.filter(pk=1).update(state='triage')",
        "setattr(message, 'state', 'triage')",
        "message.save(update_fields=['state', 'reason'])",
        "update_rows(rows, ['reason', 'state'])",
        "FIELDS = ['state']\nupdate_rows(rows, FIELDS)",
        "message.save(update_fields=PROCESSING_FIELDS)",
        "InboundMessage(raw=b'', state='triage')",
    ],
)
def test_the_walker_sees_every_kind_of_state_write(code):
    assert state_writes(code) == [code.count("\n") + 1]


def test_the_walker_lets_reads_through():
    code = "if message.state in MessageState.reopenable():\n    x = message.state\n"
    code += "InboundMessage.objects.filter(state='stored')\nmessage.save(update_fields=['reason'])"
    assert state_writes(code) == []


# Imports ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PURE_CORES)
def test_the_pure_cores_import_no_django(name):
    nodes = list(ast.walk(ast.parse((INBOUND / name).read_text(encoding="utf-8"))))
    imported = [
        alias.name for node in nodes if isinstance(node, ast.Import) for alias in node.names
    ] + [
        node.module or "" for node in nodes if isinstance(node, ast.ImportFrom) and node.level == 0
    ]
    assert [m for m in imported if m.split(".")[0] in {"django", "microintern"}] == []


def _run(code: str) -> str:
    """Run `code` in a fresh interpreter (this one, with this environment)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC.parent), env.get("PYTHONPATH")]))
    env.setdefault("DJANGO_SETTINGS_MODULE", "microintern.settings")
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_loading_the_urls_does_not_load_the_mail_parsing_libraries():
    loaded = _run(
        "import sys, django\n"
        "django.setup()\n"
        "import microintern.urls\n"
        "import microintern.mail.inbound\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    assert loaded == ""


def test_the_pure_cores_load_without_django():
    loaded = _run(
        "import sys\n"
        "import microintern.mail.inbound.parse, microintern.mail.inbound.classify\n"
        "import microintern.mail.inbound.interpret\n"
        "print(','.join(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    assert loaded == ""
