"""How far the translations go: per catalogue, the strings translated, untranslated and
fuzzy; the email roles with wording in each language; and the page templates with text but
nothing marked for translation yet (shown in English whatever the language).

Reads the files only (the .po catalogues, templates/email/<language>/, the templates); no
database. `python -m microintern translation_report` prints it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings

MARKED = re.compile(r"{%\s*(translate|trans|blocktranslate|blocktrans)\b")
TEMPLATE_SYNTAX = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.DOTALL)
TAGS = re.compile(r"<[^>]*>", re.DOTALL)
WORD = re.compile(r"[A-Za-z]{2,}")


@dataclass
class Catalogue:
    language: str
    path: Path
    translated: int = 0
    untranslated: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.translated + len(self.untranslated) + len(self.fuzzy)


@dataclass
class Report:
    catalogues: list[Catalogue]
    email_roles: dict[str, list[str]]  # language -> roles with wording in it
    all_email_roles: list[str]
    unmarked_templates: list[str]  # relative paths
    template_count: int


def po_entries(path: Path) -> list[tuple[str, str | None, list[str], bool]]:
    """(msgid, msgid_plural or None, msgstrs, fuzzy) of each entry of a .po file as gettext
    writes one (quoted strings, continued on following lines), the header included. An
    entry with a context (pgettext) has the msgid the .mo keys it by: context, EOT, msgid."""
    entries = []
    msgid = plural = current = context = None
    strings: list[str] = []
    fuzzy = False

    def unquote(text: str) -> str:
        return text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")

    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if msgid is not None:
                key = msgid if context is None else f"{context}\x04{msgid}"
                entries.append((key, plural, strings, fuzzy))
            msgid = plural = current = context = None
            strings, fuzzy = [], False
        elif line.startswith("#,"):
            fuzzy = fuzzy or "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt "):
            context, current = unquote(line[8:]), "msgctxt"
        elif line.startswith('"') and current == "msgctxt":
            context += unquote(line)
        elif line.startswith("msgid_plural "):
            plural, current = unquote(line[13:]), "plural"
        elif line.startswith("msgid "):
            msgid, current = unquote(line[6:]), "msgid"
        elif match := re.match(r"msgstr(\[\d+\])? (.*)", line):
            strings.append(unquote(match.group(2)))
            current = "msgstr"
        elif line.startswith('"') and current == "msgid":
            msgid += unquote(line)
        elif line.startswith('"') and current == "plural":
            plural += unquote(line)
        elif line.startswith('"'):
            strings[-1] += unquote(line)
    return entries


def read_catalogue(language: str, path: Path) -> Catalogue:
    catalogue = Catalogue(language, path)
    for msgid, _plural, strings, fuzzy in po_entries(path):
        if not msgid:
            continue  # the header
        if fuzzy:
            catalogue.fuzzy.append(msgid)
        elif strings and all(strings):
            catalogue.translated += 1
        else:
            catalogue.untranslated.append(msgid)
    return catalogue


def template_dirs() -> list[Path]:
    dirs = [Path(d) for engine in settings.TEMPLATES for d in engine.get("DIRS", [])]
    base = Path(settings.BASE_DIR)
    dirs += [
        Path(app.path) / "templates"
        for app in apps.get_app_configs()
        if Path(app.path).is_relative_to(base)
    ]
    return [d for d in dirs if d.is_dir()]


def has_unmarked_text(source: str) -> bool:
    """True when the template shows words (outside tags and template syntax) and marks
    nothing for translation."""
    if MARKED.search(source):
        return False
    return bool(WORD.search(TAGS.sub(" ", TEMPLATE_SYNTAX.sub(" ", source))))


def build_report() -> Report:
    base = Path(settings.BASE_DIR)
    catalogues = []
    for code, _name in settings.LANGUAGES:
        for locale_dir in settings.LOCALE_PATHS:
            path = Path(locale_dir) / code / "LC_MESSAGES" / "django.po"
            if path.is_file():
                catalogues.append(read_catalogue(code, path))
    email_dir = base / "templates" / "email"
    all_roles = sorted(p.name.removesuffix(".subject.txt") for p in email_dir.glob("*.subject.txt"))
    email_roles = {
        code: sorted(
            role
            for role in all_roles
            if (email_dir / code / f"{role}.txt").is_file()
            and (email_dir / code / f"{role}.subject.txt").is_file()
        )
        for code, _name in settings.LANGUAGES
        if code != settings.LANGUAGE_CODE
    }
    unmarked, count = [], 0
    for directory in template_dirs():
        for path in sorted(directory.rglob("*.html")):
            count += 1
            if has_unmarked_text(path.read_text(encoding="utf-8")):
                unmarked.append(_shown(path))
    return Report(catalogues, email_roles, all_roles, sorted(unmarked), count)


def report_lines(report: Report) -> list[str]:
    """The report as plain lines for a person."""
    lines = []
    for c in report.catalogues:
        lines.append(
            f"Catalogue {c.language} ({_shown(c.path)}): "
            f"{c.total} strings, {c.translated} translated, {len(c.untranslated)} untranslated, "
            f"{len(c.fuzzy)} fuzzy."
        )
        lines += [f"  untranslated (shown in English): {m!r}" for m in c.untranslated]
        lines += [f"  fuzzy (shown in English until checked): {m!r}" for m in c.fuzzy]
    for code, roles in report.email_roles.items():
        missing = sorted(set(report.all_email_roles) - set(roles))
        lines.append(
            f"Emails in {code}: {len(roles)} of {len(report.all_email_roles)} roles; "
            f"sent in English: {', '.join(missing) or 'none'}."
        )
    lines.append(
        f"Page templates with text but nothing marked for translation (shown in English in "
        f"every language): {len(report.unmarked_templates)} of {report.template_count}."
    )
    lines += [f"  {path}" for path in report.unmarked_templates]
    return lines


def _shown(path: Path) -> str:
    """The path from the project's source folder (BASE_DIR) when it is inside it."""
    base = Path(settings.BASE_DIR)
    return str(path.relative_to(base)) if path.is_relative_to(base) else str(path)
