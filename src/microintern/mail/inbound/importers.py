"""Import mail from files: a Maildir, an mbox, or .eml files (one message each).

For migration and for mail staff forward by hand. Each message is stored exactly as read
(through `store.store_messages`, so importing again changes nothing) and then processed. A
file over the size limit is never read whole: only its headers are kept (`store.read_kept`).
"""

import mailbox as stdlib_mailbox
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .pipeline import batches, process_messages
from .store import Incoming, read_kept, store_messages


@dataclass(frozen=True)
class Source:
    """The messages under one path: how many, and a way to read them one at a time."""

    count: int
    messages: Iterator[Incoming]


def open_source(path: Path) -> Source:
    """Every message under `path`, counted first (so progress can say "n of N").

    A directory with cur/ and new/ is a Maildir; any other directory is searched for .eml
    files; a file ending .eml is one message; any other file is read as an mbox.
    """
    path = Path(path)
    if path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir():
        box = stdlib_mailbox.Maildir(path, factory=None, create=False)
        keys = sorted(box.keys())
        return Source(len(keys), _maildir(path, box, keys))
    if path.is_dir():
        files = sorted(path.rglob("*.eml"))
        return Source(len(files), (_file(eml) for eml in files))
    if path.suffix.lower() == ".eml":
        return Source(1, iter([_file(path)]))
    box = stdlib_mailbox.mbox(path, factory=None, create=False)
    keys = list(box.iterkeys())
    return Source(len(keys), _mbox(path, box, keys))


def _size(handle: BinaryIO) -> int:
    """The size of an open message file (also of one message inside an mbox)."""
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(0)
    return size


def _file(path: Path) -> Incoming:
    with path.open("rb") as handle:
        return read_kept(handle, _size(handle), origin=str(path))


def _maildir(path: Path, box: stdlib_mailbox.Maildir, keys: list[str]) -> Iterator[Incoming]:
    for key in keys:
        with box.get_file(key) as handle:
            yield read_kept(handle, _size(handle), origin=f"{path}:{key}")


def _mbox(path: Path, box: stdlib_mailbox.mbox, keys: list) -> Iterator[Incoming]:
    for key in keys:
        with box.get_file(key) as handle:  # without the "From " separator line
            yield read_kept(handle, _size(handle), origin=f"{path}:{key}")


Progress = Callable[[int, int, Counter], None]
"""Called after each batch with the messages done, the messages found and the counts."""


def import_path(path: Path, *, progress: Progress | None = None) -> Counter:
    """Store and process every message under `path`, in batches: each batch is stored and
    committed before it is processed. After each batch, `progress(done, total, counts)`.
    Returns counts: stored (new), already (stored before), and one per final state."""
    source = open_source(path)
    counts: Counter = Counter()
    done = 0
    for batch in batches(source.messages):
        stored = store_messages(batch)
        counts.update("stored" if s.created else "already" for s in stored)
        pks = [s.message.pk for s in stored]
        done += len(batch)
        # Stored and committed: processing reads each message's bytes back when it opens
        # it, so the copies read from the files are let go first.
        batch.clear()
        del stored
        states = process_messages(pks)
        counts.update(str(states[pk]) for pk in pks)
        if progress is not None:
            progress(done, source.count, counts)
    return counts
