"""Import mail from files: a Maildir, an mbox, or .eml files (one message each).

For migration and for mail staff forward by hand. Each message is stored exactly as read
(through `store.store_messages`, so importing again changes nothing) and then processed.
"""

import mailbox as stdlib_mailbox
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from .pipeline import batches, process_messages
from .store import Incoming, store_messages


def messages_in(path: Path) -> Iterator[tuple[str, bytes]]:
    """(origin, raw bytes) for every message under `path`.

    A directory with cur/ and new/ is a Maildir; any other directory is searched for .eml
    files; a file ending .eml is one message; any other file is read as an mbox.
    """
    path = Path(path)
    if path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir():
        box = stdlib_mailbox.Maildir(path, factory=None, create=False)
        for key in sorted(box.keys()):
            with box.get_file(key) as handle:
                yield f"{path}:{key}", handle.read()
    elif path.is_dir():
        for eml in sorted(path.rglob("*.eml")):
            yield str(eml), eml.read_bytes()
    elif path.suffix.lower() == ".eml":
        yield str(path), path.read_bytes()
    else:
        box = stdlib_mailbox.mbox(path, factory=None, create=False)
        for key in box.iterkeys():
            with box.get_file(key) as handle:
                yield f"{path}:{key}", _without_from_line(handle.read())


def _without_from_line(raw: bytes) -> bytes:
    """mbox keeps the "From " separator line with each message; it is not part of it."""
    if raw.startswith(b"From "):
        end = raw.find(b"\n")
        return raw[end + 1 :] if end != -1 else b""
    return raw


def import_path(path: Path) -> Counter:
    """Store and process every message under `path`, in batches: each batch is stored and
    committed before it is processed. Returns counts: stored (new), already (stored before),
    and one per final state."""
    counts: Counter = Counter()
    for batch in batches(Incoming(raw, origin=origin) for origin, raw in messages_in(path)):
        stored = store_messages(batch)
        counts.update("stored" if s.created else "already" for s in stored)
        states = process_messages([s.message.pk for s in stored])
        counts.update(str(states[s.message.pk]) for s in stored)
    return counts
