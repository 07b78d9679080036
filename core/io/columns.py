"""The uploaded table's other columns a map can be coloured by, read into Columns
(core.analysis.colour_by): categories as integer codes and numbers as float32, a few bytes per
document each, however long the texts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.analysis.colour_by import Column, categorical_column

MAX_COLUMNS = 12  # columns kept per corpus, first in table order
MAX_CATEGORIES = 200  # more distinct values than this is not a grouping
# a column of numbers with more distinct values than this is a continuous quantity; with fewer
# (a rating, a year or two) it is a set of categories
NUMERIC_ABOVE = 12


def table_columns(
    table: pd.DataFrame, rows: Sequence[int], skip: Sequence[str | None]
) -> tuple[Column, ...]:
    """The table's columns (but `skip`) that group or measure the documents at `rows`: numbers
    with more than NUMERIC_ABOVE distinct values, else categories as label_columns finds them
    (2 to MAX_CATEGORIES distinct values, at most one per two documents); at most MAX_COLUMNS
    of them."""
    found = []
    most = min(MAX_CATEGORIES, len(rows) // 2)
    for name in table.columns:
        if name in skip or len(found) == MAX_COLUMNS:
            continue
        text = table[name].iloc[list(rows)].fillna("").astype(str).str.strip()
        filled = text[text != ""]
        distinct = filled.nunique()
        if distinct < 2:
            continue
        if distinct > NUMERIC_ABOVE and pd.to_numeric(filled, errors="coerce").notna().all():
            values = pd.to_numeric(text.where(text != ""), errors="coerce").to_numpy(np.float32)
            values[~np.isfinite(values)] = np.nan  # "inf" or a number beyond float32: blank
            found.append(Column(str(name), values=values))
        elif distinct <= most:
            found.append(categorical_column(str(name), text.tolist()))
    return tuple(found)
