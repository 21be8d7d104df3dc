"""The layering written in docs/development.md, checked on the source itself.

import-linter (`lint-imports`, contracts in pyproject.toml) checks which layer may import
which; these tests check what it does not: no import cycles at all, and every import inside
a function says why it is there.
"""

import re
import sys
from pathlib import Path

import grimp

SOURCE = Path(__file__).resolve().parents[1] / "src" / "microintern"
REASONED_NOQA = re.compile(r"#\s*noqa:\s*PLC0415\s+-\s+\S.{8,}")


def import_cycles(graph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), function-level imports
    included."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []
    counter = 0
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def visit(module):
        nonlocal counter
        index[module] = low[module] = counter
        counter += 1
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return groups


def test_no_module_imports_itself_through_others():
    graph = grimp.build_graph("microintern", cache_dir=None)
    cycles = import_cycles(graph)
    assert cycles == [], "import cycles (put the shared code in the lower layer):\n" + "\n".join(
        " <-> ".join(group) for group in cycles
    )


def test_a_cycle_is_found_when_there_is_one():
    graph = grimp.ImportGraph()
    for name in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(name)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.c")
    assert import_cycles(graph) == []
    graph.add_import(importer="pkg.c", imported="pkg.a")
    assert import_cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]


def test_every_import_inside_a_function_says_why():
    unexplained = []
    for path in sorted(SOURCE.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "PLC0415" in line and not REASONED_NOQA.search(line):
                unexplained.append(f"{path.relative_to(SOURCE.parent)}:{number}: {line.strip()}")
    assert unexplained == [], (
        "write the reason: `# noqa: PLC0415 - <why this import waits>`:\n" + "\n".join(unexplained)
    )


def test_rows_are_locked_only_through_the_locking_helper():
    """One lock policy: key order and a timeout (core.locking), never a bare
    select_for_update that could wait forever or lock in another order."""
    bare = [
        f"{path.relative_to(SOURCE.parent)}:{number}"
        for path in sorted(SOURCE.rglob("*.py"))
        if path.name != "locking.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "select_for_update(" in line
    ]
    assert bare == [], "lock with core.locking.lock_row / lock_rows:\n" + "\n".join(bare)
