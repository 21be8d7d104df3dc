"""Text from people and mail, made safe to show: no invisible direction controls.

A right-to-left override (U+202E) in a name or a file name makes "Amira‮gnp.exe" read as
"Amiraexe.png"; the embeddings, isolates and marks below can reorder or hide text the same
way. They are removed wherever names, senders, subjects, titles and file names are shown.
"""

BIDI_CONTROLS = frozenset(
    "\u200e\u200f"  # left-to-right and right-to-left marks
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings, pop, overrides
    "\u2066\u2067\u2068\u2069"  # isolates and pop
)
_REMOVE = dict.fromkeys(map(ord, BIDI_CONTROLS))


def without_bidi_controls(text: str) -> str:
    return text.translate(_REMOVE)
