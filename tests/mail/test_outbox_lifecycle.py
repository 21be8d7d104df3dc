"""The outbox message lifecycle: one table, one transition function, compare-and-set."""

import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

import microintern
from microintern.core.errors import Busy, Refusal, TransitionNotAllowed
from microintern.core.models import ActivityLog
from microintern.mail import outbox, tasks
from microintern.mail.enums import OUTBOX_TRANSITIONS, MessageState
from microintern.mail.models import OutboundMessage
from microintern.mail.outbox import deliver, queue_email, transition_messages
from tests import smtp_sink as sink

smtp_sink = sink.smtp_sink  # the fixture

pytestmark = pytest.mark.django_db(transaction=True)

SOURCE = Path(microintern.__file__).parent
ALLOWED_WRITERS = {
    ("microintern.mail.outbox", "transition_messages"): "the transition function",
    ("microintern.mail.outbox", "queue_email"): "creates a row in MessageState.starting()",
    ("microintern.mail.outbox", "_new_message"): "builds the row queue_email and queue_emails "
    "create, in MessageState.starting()",
    ("microintern.mail.outbox", "queue_sealed_email"): "creates a row in MessageState.starting()",
}

LEASE = {"lease_expires_at": timezone.now() + timedelta(minutes=10)}


def held_message(to="someone@example.ac.uk") -> OutboundMessage:
    return queue_email(
        "inbound_staff_reply", to=to, context={"subject": "Re: hello", "reply": "Hi."}, hold=True
    )


def test_the_table_names_every_state_and_only_sent_and_discarded_are_final():
    assert set(OUTBOX_TRANSITIONS) == set(MessageState)
    assert all(targets <= set(MessageState) for targets in OUTBOX_TRANSITIONS.values())
    assert {state for state, targets in OUTBOX_TRANSITIONS.items() if not targets} == {
        MessageState.SENT,
        MessageState.DISCARDED,
    }
    reachable = set(MessageState.starting())
    for _ in MessageState:
        reachable |= {t for s in reachable for t in OUTBOX_TRANSITIONS[s]}
    assert reachable == set(MessageState)


def test_the_named_groups_are_states_of_the_table():
    groups = (
        MessageState.starting(),
        MessageState.held(),
        MessageState.awaiting_attempt(),
        MessageState.given_up(),
        set(MessageState.waiting()),
        MessageState.can_be_held_back(),
        MessageState.on_its_way(),
    )
    for group in groups:
        assert group and group <= set(OUTBOX_TRANSITIONS)
    assert MessageState.held() & MessageState.starting() == {MessageState.DRAFT}
    for state in MessageState.held():  # staff release or discard whatever is held
        assert {MessageState.QUEUED, MessageState.DISCARDED} <= OUTBOX_TRANSITIONS[state]
    for state in MessageState.can_be_held_back():
        assert MessageState.HELD in OUTBOX_TRANSITIONS[state]


def test_a_move_not_in_the_table_is_refused_and_changes_nothing():
    message = held_message()
    with pytest.raises(TransitionNotAllowed) as refused, transaction.atomic():
        transition_messages([message.pk], MessageState.SENT, from_state=MessageState.DRAFT)
    assert isinstance(refused.value, Refusal)
    assert "Held for review" in str(refused.value) and "Sent" in str(refused.value)
    message.refresh_from_db()
    assert message.state == MessageState.DRAFT


def test_compare_and_set_a_message_moved_by_someone_else_is_left_alone(smtp_sink):
    message = held_message()
    with transaction.atomic():
        moved = transition_messages(
            [message.pk], MessageState.SENDING, from_state=MessageState.QUEUED
        )
    assert moved == []  # it is a draft, not queued: nothing changes, nothing is sent
    message.refresh_from_db()
    assert message.state == MessageState.DRAFT
    assert smtp_sink.received == []


def test_two_deliveries_of_one_message_send_it_once(smtp_sink):
    message = held_message()
    outbox.release_held([message.pk], actor=None)  # the first delivery runs after commit
    assert deliver(message.pk) is None  # a second worker finds it no longer queued
    message.refresh_from_db()
    assert (message.state, message.attempts) == (MessageState.SENT, 1)
    assert len(smtp_sink.received) == 1


def test_a_stale_worker_cannot_record_an_outcome_for_a_message_it_no_longer_holds(smtp_sink):
    message = held_message()
    with transaction.atomic():
        transition_messages([message.pk], MessageState.QUEUED, from_state=MessageState.DRAFT)
    with transaction.atomic():
        [claimed] = transition_messages(
            [message.pk], MessageState.SENDING, from_state=MessageState.QUEUED, changes=LEASE
        )
    with transaction.atomic():  # another worker recorded its outcome meanwhile
        transition_messages([message.pk], MessageState.FAILED, from_state=MessageState.SENDING)
    with transaction.atomic():
        late = transition_messages([claimed.pk], MessageState.SENT, from_state=MessageState.SENDING)
    assert late == []
    message.refresh_from_db()
    assert message.state == MessageState.FAILED


def test_moves_are_logged_where_people_take_part(make_user):
    staff = make_user("staff")
    message = held_message()
    with transaction.atomic():
        transition_messages(
            [message.pk], MessageState.QUEUED, from_state=MessageState.DRAFT, actor=staff
        )
        transition_messages(
            [message.pk], MessageState.SENDING, from_state=MessageState.QUEUED, changes=LEASE
        )
    actions = list(
        ActivityLog.objects.filter(object_id=str(message.pk)).values_list("action", flat=True)
    )
    assert actions == ["email.released"]


def test_the_outbox_tasks_run_again_later_when_the_rows_are_busy(settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}

    def busy(*_args):
        raise Busy()

    monkeypatch.setattr(outbox, "deliver", busy)
    monkeypatch.setattr(outbox, "retry_due", busy)
    assert tasks.deliver_message.call(7) is None
    assert tasks.retry_due.call() is None
    backend = tasks.deliver_message.get_backend()
    queued = [(r.task.name, r.args, r.task.run_after is not None) for r in backend.results]
    assert queued == [("deliver_message", [7], True), ("retry_due", [], True)]


def test_the_staff_outbox_pages_ask_the_named_groups_not_raw_states():
    pattern = re.compile(r"state\s*(==|!=|in)\s|state\s*(==|!=)\s*[\"']")
    templates = sorted((SOURCE / "mail" / "templates" / "mail").rglob("*.html"))
    assert templates
    for path in templates:
        assert not pattern.search(path.read_text()), path.name


# --- Nothing else writes OutboundMessage.state ------------------------------------------


def module_name(path: Path) -> str:
    relative = path.relative_to(SOURCE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join([*base, *([node.module] if node.module else [])])


def state_writes(source: str, module: str, is_package: bool = False) -> list[tuple[str, int]]:
    """(function, line) of every write of OutboundMessage.state in `source`."""
    tree = ast.parse(source)
    state_enums, enum_modules = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            origin = resolve(module, node, is_package)
            for alias in node.names:
                if origin == "microintern.mail.enums" and alias.name == "MessageState":
                    state_enums.add(alias.asname or alias.name)
                if origin == "microintern.mail" and alias.name == "enums":
                    enum_modules.add(alias.asname or alias.name)
    outbox_package = module.startswith("microintern.mail") and ".inbound" not in module

    def mentions_outbox_state(node) -> bool:
        for child in ast.walk(node):
            if isinstance(child, ast.Name) and child.id in state_enums:
                return True
            if (
                isinstance(child, ast.Attribute)
                and child.attr == "MessageState"
                and isinstance(child.value, ast.Name)
                and child.value.id in enum_modules
            ):
                return True
        return False

    def chain_root(node):
        while True:
            if isinstance(node, ast.Call):
                node = node.func
            elif isinstance(node, ast.Attribute):
                node = node.value
            else:
                return node

    def names_state(node) -> bool:
        return any(isinstance(c, ast.Constant) and c.value == "state" for c in ast.walk(node))

    found = []

    def visit(node, function: str):
        for child in ast.iter_child_nodes(node):
            name = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name if not function else f"{function}.{child.name}"
            if isinstance(child, ast.Assign | ast.AugAssign | ast.AnnAssign):
                targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                for target in targets:
                    if isinstance(target, ast.Attribute) and target.attr == "state":
                        value = child.value
                        if outbox_package or (value is not None and mentions_outbox_state(value)):
                            found.append((name, child.lineno))
            if isinstance(child, ast.Call):
                root = chain_root(child)
                on_outbound = isinstance(root, ast.Name) and root.id == "OutboundMessage"
                method = child.func.attr if isinstance(child.func, ast.Attribute) else ""
                for keyword in child.keywords:
                    if keyword.arg != "state":
                        continue
                    if (on_outbound and method not in {"filter", "exclude", "get", "count"}) or (
                        method in {"update", "create", "update_or_create", "get_or_create"}
                        and mentions_outbox_state(keyword.value)
                    ):
                        found.append((name, child.lineno))
                if outbox_package and method in {"save", "bulk_update", "update"}:
                    fields = [k.value for k in child.keywords if k.arg == "update_fields"]
                    if any(names_state(f) for f in [*fields, *child.args[1:2]]):
                        found.append((name, child.lineno))
            visit(child, name)

    visit(tree, "")
    return found


def test_no_code_but_the_transition_function_writes_an_outbound_messages_state():
    offences = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = module_name(path)
        for function, line in state_writes(
            path.read_text(), module, is_package=path.name == "__init__.py"
        ):
            if (module, function) not in ALLOWED_WRITERS:
                offences.append(f"{path.relative_to(SOURCE)}:{line} in {function or 'module'}")
    assert offences == [], "Write OutboundMessage.state through outbox.transition_messages"


def test_the_source_walk_finds_each_way_of_writing_the_state():
    """The walk above would have found the eight compare-and-set sites the outbox had."""
    source = """
from microintern.mail.enums import MessageState as Outbox
from microintern.mail.models import OutboundMessage
from microintern.mail import enums

def bulk(ids):
    OutboundMessage.objects.filter(pk__in=ids, state=Outbox.DRAFT).update(state=Outbox.QUEUED)

def one(message):
    message.state = Outbox.SENT
    message.save()

def queryset(rows):
    rows.update(state=enums.MessageState.FAILED)

def made(to):
    return OutboundMessage.objects.create(to=to, state="sent")

def reading(message):
    return OutboundMessage.objects.filter(state=Outbox.SENT).count(), message.state
"""
    found = state_writes(source, "microintern.applications.sample")
    assert [function for function, _line in found] == ["bulk", "one", "queryset", "made"]
    in_outbox = "def f(m, state):\n    m.state = state\n    m.save(update_fields=['state'])\n"
    assert len(state_writes(in_outbox, "microintern.mail.sample")) == 2
