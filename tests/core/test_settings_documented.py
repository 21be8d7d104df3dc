"""Every environment variable the code reads is documented for the people who deploy it."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "microintern"
DOCUMENTED_IN = [ROOT / "README.md", ROOT / "docs" / "deployment.md"]


def _is_environ(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def variables_read(tree: ast.AST) -> set[str]:
    """Names in os.environ[...], os.environ.get/setdefault/pop(...) and os.getenv(...)."""
    names = set()
    for node in ast.walk(tree):
        key = None
        if isinstance(node, ast.Subscript) and _is_environ(node.value):
            key = node.slice
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            func = node.func
            if (func.attr in {"get", "setdefault", "pop"} and _is_environ(func.value)) or (
                func.attr == "getenv"
            ):
                key = node.args[0]
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
    return names


def environment_variables() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for name in variables_read(ast.parse(path.read_text(), str(path))):
            found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return found


def test_the_scan_finds_the_settings_variables():
    found = environment_variables()
    assert {"SECRET_KEY", "DATABASE_URL", "MICROINTERN_STAFF_REQUIRE_MFA"} <= set(found)
    assert len(found) >= 34


def test_every_environment_variable_is_documented():
    docs = "\n".join(path.read_text() for path in DOCUMENTED_IN)
    missing = {
        name: where
        for name, where in environment_variables().items()
        if not re.search(rf"`{re.escape(name)}[`=( ]", docs)
    }
    assert not missing, (
        "Read by the code but not documented (as `NAME`) in README.md or docs/deployment.md: "
        f"{missing}"
    )
