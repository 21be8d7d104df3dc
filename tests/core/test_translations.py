"""The Welsh catalogue: the compiled .mo committed next to the .po says the same, so a
machine without gettext (which cannot compile it) still shows every translation."""

import gettext
import re
from pathlib import Path

from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "cy" / "LC_MESSAGES"


def po_entries(path: Path) -> dict[str, list[str]]:
    """msgid (with "\\x00" + msgid_plural for plurals) -> its msgstr(s), read from a .po
    file as gettext writes one (quoted strings, continued on following lines)."""
    entries: dict[str, list[str]] = {}
    msgid = plural = None
    strings: list[str] = []
    current = None

    def unquote(text: str) -> str:
        return text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")

    def finish():
        if msgid is not None and not fuzzy:
            key = msgid if plural is None else f"{msgid}\x00{plural}"
            entries[key] = strings

    fuzzy = False
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            finish()
            msgid = plural = current = None
            strings, fuzzy = [], False
        elif line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid_plural "):
            plural, current = unquote(line[13:]), "plural"
        elif line.startswith("msgid "):
            msgid, current = unquote(line[6:]), "msgid"
        elif match := re.match(r"msgstr(\[\d+\])? (.*)", line):
            strings.append(unquote(match.group(2)))
            current = "msgstr"
        elif line.startswith('"'):
            if current == "msgid":
                msgid += unquote(line)
            elif current == "plural":
                plural += unquote(line)
            else:
                strings[-1] += unquote(line)
    return entries


def test_the_compiled_catalogue_matches_the_po_file():
    entries = po_entries(CATALOGUE / "django.po")
    with (CATALOGUE / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    assert len(entries) > 100
    for key, strings in entries.items():
        if not key or not any(strings):
            continue  # the header, or not translated yet (English is shown)
        if "\x00" in key:
            singular, plural = key.split("\x00")
            got = [compiled.ngettext(singular, plural, n) for n in (1, 2, 3, 8)]
            assert got == [strings[0], strings[1], strings[2], strings[3]], (
                f"{singular!r}: the .mo is out of date; run compilemessages"
            )
        else:
            assert compiled.gettext(key) == strings[0], (
                f"{key!r}: the .mo is out of date; run compilemessages"
            )
