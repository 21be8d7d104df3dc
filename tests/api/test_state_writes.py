"""Only `webhooks.transition_delivery` writes a webhook delivery's state (the same walk of
the source as for the other lifecycles)."""

import ast

from tests.applications.test_state_writes import SOURCE, _functions, _state_writes


def test_only_transition_delivery_writes_a_deliverys_state():
    problems = []
    for file in sorted((SOURCE / "api").rglob("*.py")):
        if "/migrations/" in file.as_posix():
            continue
        tree = ast.parse(file.read_text())
        owner = {}
        for name, function in _functions(tree):
            for line, _ in _state_writes(function):
                owner[line] = name
        for line, _ in _state_writes(tree):
            if (file.name, owner[line]) != ("webhooks.py", "transition_delivery"):
                problems.append(f"{file.name}:{line} in {owner[line] or 'module'}()")
    assert problems == []


def test_the_walk_sees_the_transition_functions_own_write():
    source = (SOURCE / "api" / "webhooks.py").read_text()
    writers = {
        name
        for name, function in _functions(ast.parse(source))
        if name and list(_state_writes(function))
    }
    assert writers == {"transition_delivery"}
