"""SPSS (.sav) and Stata (.dta) copies of the research export, with variable and value labels.

Pure Python, no Django: written from the same columns, rows and codebook as the CSV files
of the Data Package, through pyreadstat (ReadStat). A labelled column (one with
``categories`` in the codebook) is stored as whole-number codes 1, 2, … in the codebook's
order with the labels attached, as both packages expect (Stata labels numbers only); every
other column keeps its values. A value a labelled column does not list is refused rather
than written unlabelled.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

STATA_LABEL_LENGTH = 80
"""Stata's limit for a variable label (SPSS allows 256)."""


def value_codes(field: dict) -> dict[str, int]:
    """The whole-number code of each value of a labelled column, in the codebook's order."""
    return {category["value"]: code for code, category in enumerate(field["categories"], 1)}


def _frame(columns: Sequence[str], rows: Sequence[dict], book: dict[str, dict]):
    import pandas as pd  # noqa: PLC0415 - heavy (pandas), loaded only when a study is exported

    data = {}
    for column in columns:
        field = book[column]
        values = ["" if row[column] is None else str(row[column]) for row in rows]
        if "categories" in field:
            codes = value_codes(field)
            unknown = sorted({v for v in values if v not in codes})
            if unknown:
                raise ValueError(f"{column}: values without a label in the codebook: {unknown}")
            data[column] = pd.array([codes[v] for v in values], dtype="float64")
        elif field["type"] == "integer":
            data[column] = pd.array([None if v == "" else int(v) for v in values], "Int64")
            data[column] = data[column].astype("float64")
        else:
            data[column] = values
    return pd.DataFrame(data, columns=list(columns))


def _labels(columns: Sequence[str], book: dict[str, dict]) -> tuple[list[str], dict]:
    variable = [book[c]["description"] for c in columns]
    values = {
        column: {
            code: category["label"] for code, category in enumerate(book[column]["categories"], 1)
        }
        for column in columns
        if "categories" in book[column]
    }
    return variable, values


def _shorten(label: str, length: int) -> str:
    return label if len(label) <= length else label[: length - 1].rstrip() + "…"


def spss_and_stata(
    name: str, columns: Sequence[str], rows: Sequence[dict], book: dict[str, dict]
) -> dict[str, bytes]:
    """``{name}.sav`` and ``{name}.dta`` for one table of the export."""
    import pyreadstat  # noqa: PLC0415 - heavy (ReadStat and pandas), loaded only when a study is exported

    frame = _frame(columns, rows, book)
    variable_labels, value_labels = _labels(columns, book)
    files = {}
    with tempfile.TemporaryDirectory() as directory:
        sav = Path(directory) / f"{name}.sav"
        pyreadstat.write_sav(
            frame, sav, column_labels=variable_labels, variable_value_labels=value_labels
        )
        dta = Path(directory) / f"{name}.dta"
        pyreadstat.write_dta(
            frame,
            dta,
            column_labels=[_shorten(label, STATA_LABEL_LENGTH) for label in variable_labels],
            variable_value_labels=value_labels,
            version=15,
        )
        files[sav.name] = sav.read_bytes()
        files[dta.name] = dta.read_bytes()
    return files
