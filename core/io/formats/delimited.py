"""CSV and TSV files with a header row; every column is read as text."""

from __future__ import annotations

import csv
import io

import pandas as pd

from core.io.decode import decode_text
from core.io.formats.options import Parsed, ReadOptions
from core.io.names import unique_names
from core.runtime.errors import ExplorerError
from core.runtime.limits import check_document_count

_DELIMITERS = ",;\t|"
_SNIFF_CHARS = 16_384


def read_csv(name: str, data: bytes, options: ReadOptions) -> Parsed:
    """A delimited table; the delimiter (, ; tab |) is detected by csv.Sniffer."""
    text = decode_text(name, data)
    return _table(name, text, _sniff_delimiter(text), options)


def read_tsv(name: str, data: bytes, options: ReadOptions) -> Parsed:
    """A tab-separated table."""
    return _table(name, decode_text(name, data), "\t", options)


def _sniff_delimiter(text: str) -> str:
    """The header and first rows' delimiter, comma when the sniffer cannot tell."""
    try:
        return csv.Sniffer().sniff(text[:_SNIFF_CHARS], delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","


def _table(name: str, text: str, delimiter: str, options: ReadOptions) -> Parsed:
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, csv.Error) as error:
        raise ExplorerError(
            f"{name} could not be read as a table: {error}. Check that every row has as many "
            "fields as the header and that quotes are balanced."
        ) from None
    if not isinstance(frame.index, pd.RangeIndex):
        raise ExplorerError(
            f"{name}: the data rows have more fields than the header row. "
            "Add the missing column names to the first line."
        )
    if frame.empty:
        raise ExplorerError(f"{name} has no data rows below its header. Add some rows.")
    check_document_count(name, len(frame), options.limits)
    frame.columns = unique_names([str(column).strip() for column in frame.columns])
    return frame.fillna(""), [f"{name}:{row}" for row in range(1, len(frame) + 1)]
