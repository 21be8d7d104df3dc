"""Only the transition functions write the state of a place, a micro-internship or a challenge.

The test walks the source (ast over src/microintern, migrations aside) and lists every write
to a `state` field: `x.state = ...`, `setattr(x, "state", ...)`, `.update(state=...)`, and
`"state"` in `save(update_fields=...)` / `bulk_update(..., fields)`. Creating a row with its
first state is not a write. A write belongs to these three lifecycles when it is in their apps
(applications, programme, hosts hold no other state field) or names their models, related
managers or state enums; anywhere else but the one transition function, it fails the test.
"""

import ast
from pathlib import Path

import microintern

SOURCE = Path(microintern.__file__).parent
TRANSITION_FUNCTIONS = {
    ("applications/domain.py", "transition_place"),
    ("applications/domain.py", "_move_place"),  # its rules, for it and transition_places
    ("applications/domain.py", "transition_places"),  # the same rules for many places
    ("applications/domain.py", "_save_moves"),  # writes what transition_places moved
    ("programme/domain.py", "transition_micro_internship"),
    ("hosts/domain.py", "transition_challenge"),
}
LIFECYCLE_APPS = ("applications/", "programme/", "hosts/")
LIFECYCLE_NAMES = {
    "ExpressionOfInterest",
    "MicroInternship",
    "Challenge",
    "PlaceState",
    "MicroInternshipState",
    "ChallengeState",
    "interest",
    "interests",
    "micro_internship",
    "micro_internships",
    "mi",
    "challenge",
    "challenges",
}
FIELD_LISTS = {"save": "update_fields", "bulk_update": "fields"}


def _names(node: ast.AST) -> set[str]:
    found = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            found.add(child.id)
        elif isinstance(child, ast.Attribute):
            found.add(child.attr)
    return found


def _lists_state(node: ast.AST | None) -> bool:
    return isinstance(node, ast.List | ast.Tuple | ast.Set) and any(
        isinstance(item, ast.Constant) and item.value == "state" for item in node.elts
    )


def _state_writes(tree: ast.AST):
    """(line, what is written, the expression involved) for every write to a `state` field."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "state":
                    yield node.lineno, node
        elif isinstance(node, ast.Call):
            function = node.func
            name = (
                function.attr
                if isinstance(function, ast.Attribute)
                else getattr(function, "id", "")
            )
            if name == "setattr" and len(node.args) >= 2:
                field = node.args[1]
                if isinstance(field, ast.Constant) and field.value == "state":
                    yield node.lineno, node
            elif name == "update" and any(k.arg == "state" for k in node.keywords):
                yield node.lineno, node
            elif name in FIELD_LISTS:
                listed = [k.value for k in node.keywords if k.arg == FIELD_LISTS[name]]
                if name == "bulk_update" and len(node.args) >= 2:
                    listed.append(node.args[1])
                if any(_lists_state(value) for value in listed):
                    yield node.lineno, node


def _functions(tree: ast.AST):
    """(function name, node) for every function, innermost last; module level is ''."""
    yield "", tree
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node


def lifecycle_state_writes_outside_transitions(path: str, source: str) -> list[str]:
    tree = ast.parse(source)
    owner = {}
    for name, function in _functions(tree):
        for line, _ in _state_writes(function):
            owner[line] = name  # functions come after their enclosing scope: innermost wins
    in_lifecycle_app = path.startswith(LIFECYCLE_APPS)
    problems = []
    for line, node in _state_writes(tree):
        function = owner[line]
        if (path, function) in TRANSITION_FUNCTIONS:
            continue
        if in_lifecycle_app or _names(node) & LIFECYCLE_NAMES:
            problems.append(f"{path}:{line} in {function or 'module'}()")
    return problems


def test_only_the_transition_functions_write_these_states():
    problems = []
    for file in sorted(SOURCE.rglob("*.py")):
        relative = file.relative_to(SOURCE).as_posix()
        if "/migrations/" in relative:
            continue
        problems += lifecycle_state_writes_outside_transitions(relative, file.read_text())
    assert problems == []


def test_the_walk_finds_each_kind_of_write():
    source = """
def sneaky(interest, mi, challenge, rows):
    interest.state = PlaceState.OFFERED
    setattr(mi, "state", "open")
    ExpressionOfInterest.objects.filter(pk=1).update(state="withdrawn")
    challenge.save(update_fields=["state"])
    ExpressionOfInterest.objects.bulk_update(rows, ["state"])

def other_lifecycle(selection_round, message):
    selection_round.state = RoundState.PUBLISHED
    message.save(update_fields=["state"])
    ExpressionOfInterest.objects.create(state=PlaceState.RECEIVED)
"""
    assert lifecycle_state_writes_outside_transitions("selection/domain.py", source) == [
        f"selection/domain.py:{line} in sneaky()" for line in (3, 4, 5, 6, 7)
    ]
    assert len(lifecycle_state_writes_outside_transitions("hosts/views.py", source)) == 7


def test_the_transition_functions_themselves_are_allowed():
    source = """
def transition_place(interest, to_state):
    locked = lock_row(ExpressionOfInterest, interest.pk)
    locked.state = to_state
    locked.save(update_fields=["state"])
"""
    assert lifecycle_state_writes_outside_transitions("applications/domain.py", source) == []
    assert len(lifecycle_state_writes_outside_transitions("applications/views.py", source)) == 2
