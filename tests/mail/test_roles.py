"""Every email role is declared once, in EmailRole, with its template and placeholders."""

import ast
from pathlib import Path

import pytest

import microintern
from microintern.applications.models import ReminderKind
from microintern.applications.notifications import EMAIL_ROLE_FOR_STATE, ROLES_WITH_INVITE
from microintern.hosts.enums import ChallengeState
from microintern.mail.enums import EMAIL_AUDIENCE, Audience, EmailRole
from microintern.mail.models import OutboundMessage
from microintern.mail.outbox import queue_email
from microintern.mail.roles import ROLE_PLACEHOLDERS, all_roles, get_role
from microintern.mail.templating import (
    UnknownEmailRole,
    default_source,
    email_role,
    template_dir,
)

SOURCE = Path(microintern.__file__).parent
# Functions that take an email role, and the position of the role among their arguments.
ROLE_ARGUMENT = {
    "queue_email": 0,
    "render_role": 0,
    "_queue_survey_email": 0,
    "queue_interest_email": 1,
    "queue_host_email": 1,
}


def test_every_template_file_has_a_role_and_every_role_both_files():
    files = {path.name for path in template_dir().glob("*.txt")}
    roles_of_files = {name.removesuffix(".txt").removesuffix(".subject") for name in files}
    assert roles_of_files == set(EmailRole.values)
    for role in EmailRole:
        assert {f"{role.value}.txt", f"{role.value}.subject.txt"} <= files, role


def test_every_role_says_who_receives_it_what_it_is_for_and_what_it_may_use():
    assert len(EmailRole) == 37
    assert set(EMAIL_AUDIENCE) == set(EmailRole) == set(ROLE_PLACEHOLDERS)
    for role in EmailRole:
        assert isinstance(role.audience, Audience)
        assert role.label, role
        assert ROLE_PLACEHOLDERS[role], role
    assert [r.name for r in all_roles()] == EmailRole.values


def test_a_role_may_be_named_by_its_member_or_its_value():
    assert email_role("place_offered") is EmailRole.PLACE_OFFERED
    assert email_role(EmailRole.PLACE_OFFERED) is EmailRole.PLACE_OFFERED
    assert get_role(EmailRole.THANK_YOU) == get_role("thank_you")
    assert get_role("nope") is None
    assert default_source(EmailRole.THANK_YOU) == default_source("thank_you")
    with pytest.raises(UnknownEmailRole, match="nope.txt"):
        default_source("nope")
    assert EmailRole.known(EmailRole.THANK_YOU) and EmailRole.known("thank_you")
    assert not EmailRole.known("nope") and not EmailRole.known("Thank you for attending")


@pytest.mark.django_db
def test_queue_email_takes_the_member_and_stores_its_value():
    message = queue_email(
        EmailRole.INBOUND_STAFF_REPLY,
        to="someone@example.ac.uk",
        context={"subject": "Re: hello", "reply": "Hi."},
        hold=True,
    )
    assert OutboundMessage.objects.get(pk=message.pk).role == "inbound_staff_reply"


def role_literals() -> list[tuple[str, str]]:
    """(where, value) of every role written as a string where the code asks for an email."""
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            where = f"{path.relative_to(SOURCE)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                position = ROLE_ARGUMENT.get(name)
                if position is not None and len(node.args) > position:
                    argument = node.args[position]
                    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                        found.append((where, argument.value))
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                names = [getattr(t, "id", "") for t in node.targets]
                if any(n.endswith("_ROLE") for n in names):
                    found.append((where, node.value.value))
    return found


def test_every_role_the_code_asks_for_is_an_email_role():
    literals = role_literals()
    assert len(literals) >= 10  # the walk finds the callers
    assert [(where, value) for where, value in literals if value not in EmailRole.values] == []
    assert set(EMAIL_ROLE_FOR_STATE.values()) | ROLES_WITH_INVITE <= set(EmailRole.values)
    # Roles made from a state's name (applications.reminders, hosts.domain):
    assert {f"reminder_{kind.value}" for kind in ReminderKind} <= set(EmailRole.values)
    decided = (ChallengeState.ACCEPTED, ChallengeState.DECLINED)
    assert {f"challenge_{state.value}" for state in decided} <= set(EmailRole.values)


def mail_imports(module: Path) -> set[str]:
    """The mail modules (not inbound) that `module` imports at any depth of its body."""
    names = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                names.add(node.module.split(".")[0])
            elif node.level == 1:
                names |= {alias.name for alias in node.names}
            elif (node.module or "").startswith("microintern.mail."):
                names.add(node.module.split(".")[2])
    return names


def test_the_mail_modules_import_each_other_without_a_cycle():
    directory = SOURCE / "mail"
    graph = {path.stem: mail_imports(path) for path in directory.glob("*.py")}
    graph = {name: {i for i in imports if i in graph} for name, imports in graph.items()}
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]):
        assert name not in path, " → ".join([*path, name])
        if name not in done:
            for imported in graph[name]:
                visit(imported, (*path, name))
            done.add(name)

    for name in graph:
        visit(name, ())
    assert "templating" not in graph["roles"] and "tasks" not in graph["outbox"]
