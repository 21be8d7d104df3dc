"""The Welsh catalogue: the compiled .mo committed next to the .po says the same, so a
machine without gettext (which cannot compile it) still shows every translation."""

import gettext
from pathlib import Path

from django.conf import settings

from microintern.core.translations import po_entries

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "cy" / "LC_MESSAGES"
STALE = "the .mo is out of date: run compilemessages (docs/welsh.md)"


def test_the_compiled_catalogue_matches_the_po_file():
    entries = po_entries(CATALOGUE / "django.po")
    with (CATALOGUE / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    assert len(entries) > 100
    for msgid, plural, strings, fuzzy in entries:
        if not msgid or fuzzy or not all(strings):
            continue  # the header, or not translated yet (English is shown)
        if plural is not None:
            got = [compiled.ngettext(msgid, plural, n) for n in (1, 2, 3, 8)]
            assert got == strings, f"{msgid!r}: {STALE}"
        else:
            assert compiled.gettext(msgid) == strings[0], f"{msgid!r}: {STALE}"
