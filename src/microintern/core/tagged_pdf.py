"""Tagged PDF (ISO 32000 §14.8) on fpdf2, so that a screen reader reads our PDFs in order,
with headings, paragraphs, tables and figures for what they are.

fpdf2 keeps a structure tree but only puts images and links in it, straight under the
document. `tagged_pdf()` makes an FPDF whose structure tree holds any element, nested
(Document → Table → TR → TH/TD): each piece of text is drawn inside `pdf.tagged("P")` (or
"H1", "TD", …), which wraps it in a marked-content sequence with its own MCID and files it
under the current grouping element (`pdf.group("Table")`); decoration is drawn inside
`pdf.artifact()`. Text outside both is a mistake the tests look for. The layout helpers
below (`paragraph`, `tagged_table`) keep each tagged piece on one page, as a marked-content
sequence cannot cross pages.

fpdf2's structure tree classes are internal to it (pinned in requirements.lock); the test
of each PDF reads the finished file back with pypdf, so a change there fails loudly.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any


def tagged_pdf(**fpdf_options: Any):
    """A new FPDF (fpdf2) with a full structure tree, marked as tagged, showing its title."""
    return _tagged_class()(**fpdf_options)


@functools.cache
def _tagged_class():
    # fpdf2 pulls in Pillow and fontTools: loaded only when a PDF is built.
    from fpdf import FPDF  # noqa: PLC0415 - heavy, loaded only when a PDF is built
    from fpdf.structure_tree import StructElem, StructureTreeBuilder  # noqa: PLC0415 - fpdf2 too

    class NestedStructureTree(StructureTreeBuilder):
        """fpdf2's builder, with elements at any depth and one MCID counter per page."""

        def __init__(self) -> None:
            super().__init__()
            self.next_mcid: dict[int, int] = {}

        def take_mcid(self, page_number: int) -> int:
            mcid = self.next_mcid.get(page_number, 0)
            self.next_mcid[page_number] = mcid + 1
            return mcid

        def next_mcid_for_page(self, page_number: int) -> int:  # fpdf2's own figures, links
            return self.next_mcid.get(page_number, 0)

        def add_marked_content(self, page_number, struct_type, mcid=None, **kwargs):
            if mcid is not None:
                self.take_mcid(page_number)
            return super().add_marked_content(page_number, struct_type, mcid, **kwargs)

        def parents_id(self, page_number: int) -> int:
            return self.spid_per_page_number.setdefault(page_number, len(self.spid_per_page_number))

        def __iter__(self) -> Iterator:
            yield self.struct_tree_root
            yield self.doc_struct_elem
            yield self.struct_tree_root.parent_tree
            stack = list(reversed(self.doc_struct_elem.k))
            while stack:
                element = stack.pop()
                yield element
                stack.extend(reversed([k for k in element.k if isinstance(k, StructElem)]))

    class TaggedPDF(FPDF):
        def __init__(self, **options: Any) -> None:
            super().__init__(**options)
            self.struct_builder = NestedStructureTree()
            self._groups = [self.struct_builder.doc_struct_elem]
            self.viewer_preferences = _display_title()

        @contextmanager
        def group(self, struct_type: str) -> Iterator[None]:
            """A grouping element (Table, TR, L, LI, Sect): what is tagged inside it is
            its children, in reading order."""
            parent = self._groups[-1]
            # fpdf2 gives each element under the document the page it starts on.
            element = StructElem(
                struct_type=f"/{struct_type}", parent=parent, kids=[], page_number=self.page
            )
            parent.k.append(element)
            self._groups.append(element)
            try:
                yield
            finally:
                self._groups.pop()

        @contextmanager
        def tagged(self, struct_type: str, alt: str | None = None) -> Iterator[None]:
            """Content of one element (P, H1, TH, TD, Figure …) drawn on the current page;
            `alt` is the words a screen reader says instead (for a Figure)."""
            builder, page = self.struct_builder, self.page
            mcid = builder.take_mcid(page)
            parent = self._groups[-1]
            element = StructElem(
                struct_type=f"/{struct_type}", parent=parent, kids=[mcid], page_number=page, alt=alt
            )
            element.pg = self.pages[page]
            parent.k.append(element)
            spid = builder.parents_id(page)
            self.pages[page].struct_parents = spid
            numbers = builder.struct_tree_root.parent_tree.nums[spid]
            assert len(numbers) == mcid, "marked content numbered out of order"
            numbers.append(element)
            self._set_min_pdf_version("1.4")
            self._out(f"/{struct_type} <</MCID {mcid}>> BDC")
            try:
                yield
            finally:
                if self.page != page:
                    raise RuntimeError(f"A tagged {struct_type} ran over a page break")
                self._out("EMC")

        @contextmanager
        def artifact(self) -> Iterator[None]:
            """Decoration a screen reader skips: borders, rules, the bars of a described
            chart."""
            self._out("/Artifact BMC")
            try:
                yield
            finally:
                self._out("EMC")

        def paragraph(
            self, text: str, *, size: float, tag: str = "P", align: str = "L", gap: float = 2
        ) -> None:
            """One paragraph (or heading), kept on one page, then `gap` mm of space."""
            self.set_font(size=size)
            height = size * 0.5
            needed = self.multi_cell(0, height, text, align=align, dry_run=True, output="HEIGHT")
            if self.get_y() + needed > self.page_break_trigger:
                self.add_page()
            with self.tagged(tag):
                self.multi_cell(0, height, text, align=align, new_x="LMARGIN", new_y="NEXT")
            self.ln(gap)

        def tagged_table(
            self,
            header: Sequence[str],
            rows: Sequence[Sequence[str]],
            *,
            size: float = 8,
            caption: str = "",
        ) -> None:
            """A table with a heading row: Table → TR → TH/TD, each cell its own tagged
            text; a row that does not fit starts a new page, where the heading row is
            repeated as decoration."""
            self.set_font(size=size)
            width = (self.w - self.l_margin - self.r_margin) / max(1, len(header))
            line = size * 0.5

            def height_of(row) -> float:
                return max(
                    self.multi_cell(width, line, str(v), dry_run=True, output="HEIGHT") for v in row
                )

            def draw(row, tag: str | None) -> None:
                top, row_height = self.get_y(), height_of(row)
                for i, value in enumerate(row):
                    self.set_xy(self.l_margin + i * width, top)
                    if tag is None:
                        with self.artifact():
                            self.multi_cell(width, line, str(value))
                    else:
                        with self.tagged(tag):
                            self.multi_cell(width, line, str(value))
                with self.artifact():
                    self.rect(self.l_margin, top, width * len(row), row_height)
                self.set_xy(self.l_margin, top + row_height)

            with self.group("Table"):
                if caption:
                    with self.tagged("Caption"):
                        self.multi_cell(0, size * 0.6, caption, new_x="LMARGIN", new_y="NEXT")
                if self.get_y() + height_of(header) * 2 > self.page_break_trigger:
                    self.add_page()
                with self.group("TR"):
                    draw(header, "TH")
                for row in rows:
                    if self.get_y() + height_of(row) > self.page_break_trigger:
                        self.add_page()
                        draw(header, None)
                    with self.group("TR"):
                        draw(row, "TD")

    return TaggedPDF


def _display_title():
    from fpdf.prefs import ViewerPreferences  # noqa: PLC0415 - fpdf2 loaded only for a PDF

    return ViewerPreferences(display_doc_title=True)
