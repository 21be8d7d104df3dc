"""Cells that a spreadsheet program shows as text, never runs as a formula.

OWASP's advice on CSV injection: a cell whose text starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return is prefixed with a single quote. A figure is left as it is: a
signed number (``-2``, ``+0.35``), with ``%`` or `` points`` after it, or a range of two
(``-1.20 to +3.40 points``), as the dashboard displays them; none of these is a formula.
Every CSV and XLSX the project writes passes its cells through :func:`spreadsheet_cell`.
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = r"[-+]?(\d+(\.\d*)?|\.\d+)%?( points)?"
_FIGURE = re.compile(rf"{_NUMBER}( (to|–) {_NUMBER})?")


def spreadsheet_cell(value):
    """The value, with text that a spreadsheet would read as a formula prefixed by ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _FIGURE.fullmatch(value):
        return "'" + value
    return value


def spreadsheet_row(values) -> list:
    return [spreadsheet_cell(value) for value in values]
