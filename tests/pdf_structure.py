"""Read a PDF back the way a screen reader does (pypdf, independent of how it was made):
its structure tree in reading order with the text of each element, and any text drawn
outside both a tagged element and an artifact."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject


@dataclass
class Element:
    path: str  # e.g. "Document/Table/TR/TD"
    text: str
    alt: str | None = None


@dataclass
class PdfStructure:
    marked: bool
    lang: str
    displays_title: bool
    title: str
    elements: list[Element] = field(default_factory=list)
    untagged: list[str] = field(default_factory=list)  # text a screen reader cannot place
    unclaimed: list[tuple[int, int]] = field(default_factory=list)  # (page, MCID) no tag names

    def of(self, kind: str) -> list[Element]:
        return [e for e in self.elements if e.path.rsplit("/", 1)[-1] == kind]


def words_of(text: str) -> str:
    """Text as a screen reader says it: words separated by single spaces."""
    return " ".join(text.split())


def read_structure(data: bytes) -> PdfStructure:
    reader = PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    content, untagged = _marked_content(reader)
    prefs = root.get("/ViewerPreferences", {})
    structure = PdfStructure(
        marked=bool(root.get("/MarkInfo", {}).get("/Marked", False)),
        lang=str(root.get("/Lang", "")),
        displays_title=bool(prefs.get("/DisplayDocTitle", False)),
        title=str((reader.metadata or {}).get("/Title", "")),
        untagged=untagged,
    )
    pages = {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages)}
    claimed: set[tuple[int, int]] = set()
    tree = root.get("/StructTreeRoot")
    if tree is not None:
        _walk(tree.get_object(), "", None, pages, content, claimed, structure.elements)
    structure.unclaimed = sorted(set(content) - claimed)
    return structure


def _marked_content(reader: PdfReader) -> tuple[dict[tuple[int, int], str], list[str]]:
    """(page, MCID) → the text drawn inside it, and the text drawn outside any tag."""
    content: dict[tuple[int, int], str] = {}
    untagged: list[str] = []
    for n, page in enumerate(reader.pages):
        stack: list[tuple[str, int | None]] = []

        def before(op, args, cm, tm, stack=stack, n=n):
            if op == b"BDC":
                props = args[1] if isinstance(args[1], DictionaryObject) else {}
                mcid = props.get("/MCID")
                stack.append((str(args[0]), None if mcid is None else int(mcid)))
                if mcid is not None:
                    content.setdefault((n, int(mcid)), "")
            elif op == b"BMC":
                stack.append((str(args[0]), None))
            elif op == b"EMC":
                stack.pop()

        def text(value, cm, tm, font, size, stack=stack, n=n):
            if not value.strip():
                return
            mcids = [mcid for _, mcid in stack if mcid is not None]
            if mcids:  # one string per line drawn: lines are joined by a space
                content[(n, mcids[-1])] += " " + value
            elif not any(tag == "/Artifact" for tag, _ in stack):
                untagged.append(value)

        page.extract_text(visitor_operand_before=before, visitor_text=text)
    return content, untagged


def _walk(node, path, page, pages, content, claimed, out) -> None:
    node = node.get_object() if isinstance(node, IndirectObject) else node
    if isinstance(node, DictionaryObject) and node.get("/Type") == "/StructTreeRoot":
        for kid in _kids(node):
            _walk(kid, "", None, pages, content, claimed, out)
        return
    kind = str(node["/S"]).lstrip("/")
    here = f"{path}/{kind}" if path else kind
    if "/Pg" in node:
        page = pages[node.raw_get("/Pg").idnum]
    texts = []
    for kid in _kids(node):
        if isinstance(kid, int):
            claimed.add((page, kid))
            texts.append(content.get((page, kid), ""))
        else:
            _walk(kid, here, page, pages, content, claimed, out)
    if texts:
        alt = node.get("/Alt")
        words = words_of(" ".join(texts))
        out.append(Element(here, words, None if alt is None else str(alt)))


def _kids(node) -> list:
    kids = node.get("/K", [])
    kids = kids.get_object() if isinstance(kids, IndirectObject) else kids
    if not isinstance(kids, ArrayObject | list):
        kids = [kids]
    return [k.get_object() if isinstance(k, IndirectObject) else k for k in kids]
