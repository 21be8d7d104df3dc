"""Code and docs stand on their own: no issue numbers ("issue 5", "#12") and no paths
outside the repository (../shared, /work/…) — a reader of the repository has neither."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = [ROOT / "src", ROOT / "docs", ROOT / "README.md", ROOT / "bench"]
FORBIDDEN = {
    "an issue number": re.compile(r"\b[Ii]ssues? ?#?\d+|(?<![&\w/#])#\d{1,5}\b(?![\w-])"),
    "a path outside the repository": re.compile(r"\.\./shared\b|(?<![\w.])/work/|/home/\w"),
}
CSS_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})\b")


def text_files():
    for top in SCANNED:
        for path in [top] if top.is_file() else sorted(top.rglob("*")):
            if not path.is_file() or any(
                part == "__pycache__" or part.endswith(".egg-info") for part in path.parts
            ):
                continue  # made by Python and pip, not written by us
            data = path.read_bytes()
            if b"\0" in data[:4096]:
                continue  # screenshots and other binary files
            yield path, data.decode("utf-8", errors="replace")


def outside_references() -> list[str]:
    found = []
    for path, text in text_files():
        where = str(path.relative_to(ROOT))
        for number, line in enumerate(text.splitlines(), 1):
            checked = CSS_COLOUR.sub("", line) if path.suffix in {".css", ".html", ".svg"} else line
            for what, pattern in FORBIDDEN.items():
                match = pattern.search(checked)
                if match:
                    found.append(f"{where}:{number}: {what} ({match.group()!r})")
    return found


def test_no_issue_numbers_or_outside_paths_in_code_or_docs():
    found = outside_references()
    assert not found, "Say what is meant instead:\n" + "\n".join(found)


def test_the_patterns_catch_what_they_should():
    caught = [
        "see issue 7",
        "(issues 5 and 6)",
        "Issue #12",
        "fixed in #12.",
        "../shared/DESIGN.md",
        "cd /work/main",
    ]
    allowed = ["color: #333;", "&#8217;", "/srv/microintern", "docs/../README.md", "issued 5"]
    for text in caught:
        assert any(p.search(text) for p in FORBIDDEN.values()), text
    for text in allowed:
        assert not any(p.search(CSS_COLOUR.sub("", text)) for p in FORBIDDEN.values()), text
