"""The layers of insights and surveys, read from the source (no Django needed).

* the pure cores (stats, hesa, disclosure) import no Django and nothing else of the project;
* no module below the views imports a view or a form (domain, queries, reports, exports,
  PDF and chart builders, management commands);
* heavy libraries are never imported at module level, only inside the functions that use
  them;
* every import inside a function states its reason (``# noqa: PLC0415 - <reason>``).
"""

import ast
from pathlib import Path

import pytest

import microintern

SRC = Path(microintern.__file__).parent
APPS = ("insights", "surveys")
PURE_CORES = (
    "insights/stats.py",
    "insights/hesa.py",
    "insights/disclosure.py",
    "insights/inference.py",
    "insights/statistical_files.py",
)
HEAVY = ("numpy", "scipy", "statsmodels", "pandas", "openpyxl", "fpdf", "PIL")


def _modules():
    for app in APPS:
        for path in sorted((SRC / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _relative(path: Path) -> str:
    return path.relative_to(SRC).as_posix()


def _imported_names(node: ast.AST, path: Path) -> list[str]:
    """Absolute dotted names an import statement loads (relative ones resolved)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if not node.level:
        base = node.module or ""
    else:
        package = ["microintern", *path.relative_to(SRC).parent.parts]
        package = package[: len(package) - node.level + 1]
        base = ".".join([*package, *([node.module] if node.module else [])])
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def _imports(path: Path, *, top_level_only: bool = False) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = []
    for node in nodes:
        if top_level_only and isinstance(node, ast.If):  # `if TYPE_CHECKING:` is not loaded
            continue
        found += [(node.lineno, name) for name in _imported_names(node, path)]
    return found


def _is_view_or_form(name: str) -> bool:
    return bool({"views", "forms"} & set(name.split(".")))


def test_the_module_walk_finds_the_apps():
    names = {_relative(path) for path in _modules()}
    assert {"insights/stats.py", "surveys/report_pdf.py", "surveys/impact.py"} <= names


@pytest.mark.parametrize("core", PURE_CORES)
def test_pure_cores_import_no_django_and_no_other_project_module(core):
    path = SRC / core
    allowed = {f"microintern.{name.removesuffix('.py').replace('/', '.')}" for name in PURE_CORES}
    for line, name in _imports(path):
        assert not name.startswith("django"), f"{core}:{line} imports {name}"
        if name.startswith("microintern"):
            assert any(name == a or name.startswith(a + ".") for a in allowed), (
                f"{core}:{line} imports {name}"
            )


def test_only_views_and_urls_import_views_and_forms():
    wrong = []
    for path in _modules():
        relative = _relative(path)
        if "/views/" in relative or relative.endswith(("/urls.py", "/forms.py")):
            continue
        wrong += [
            f"{relative}:{line} imports {name}"
            for line, name in _imports(path)
            if _is_view_or_form(name)
        ]
    assert wrong == []


def test_heavy_libraries_are_not_imported_at_module_level():
    wrong = []
    for path in _modules():
        for line, name in _imports(path, top_level_only=True):
            if name.split(".")[0] in HEAVY:
                wrong.append(f"{_relative(path)}:{line} imports {name}")
    assert wrong == []


def test_every_import_inside_a_function_states_its_reason():
    wrong = []
    for path in _modules():
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    text = lines[node.lineno - 1]
                    if "# noqa: PLC0415 - " not in text:
                        wrong.append(f"{_relative(path)}:{node.lineno}: {text.strip()}")
    assert wrong == []
