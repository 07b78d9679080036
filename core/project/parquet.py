"""A project's Parquet tables read within bounds: their decoded size estimated from the footers
before reading, and text refused when it would expand far beyond what the file holds."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from core.runtime.errors import ExplorerError
from core.runtime.units import size_text

# how much more a table's text may take expanded than on disk (beyond a megabyte of slack):
# written text compresses a few times over, never hundreds
_MAX_TEXT_EXPANSION = 20
_SLACK = 1024 * 1024


def decoded_estimate(files: Mapping[str, Path]) -> int:
    """An upper bound on the tables' size once read, from their Parquet footers alone: every
    value at 8 bytes (text as dictionary indices) plus every page uncompressed."""
    total = 0
    for path in files.values():
        meta = pq.ParquetFile(path).metadata
        for group in range(meta.num_row_groups):
            row_group = meta.row_group(group)
            for column in range(row_group.num_columns):
                chunk = row_group.column(column)
                total += 8 * chunk.num_values + chunk.total_uncompressed_size
    return total


def read_table(path: Path) -> pa.Table:
    """A table with its text read as dictionaries first, so that a few distinct strings repeated
    many times are measured before they are expanded; refused when expanding them would not
    fit the memory the reading holds."""
    schema = pq.ParquetFile(path).schema
    text = [
        schema.column(i).path
        for i in range(len(schema))
        if schema.column(i).physical_type == "BYTE_ARRAY"
    ]
    table = pq.read_table(path, read_dictionary=text)
    expanded = sum(_dictionary_bytes(table.column(field.name)) for field in table.schema)
    if expanded > _MAX_TEXT_EXPANSION * (path.stat().st_size + _SLACK):
        raise ExplorerError(
            f"{path.name} holds text that expands to {size_text(expanded)} from "
            f"{size_text(path.stat().st_size)}; a project's tables do not. It was not opened."
        )
    return table.cast(pa.schema([_plain(field) for field in table.schema]))


def _dictionary_bytes(column: pa.ChunkedArray) -> int:
    """Bytes the dictionary-encoded strings of a column take once expanded."""
    total = 0
    for chunk in column.chunks:
        values = chunk.flatten() if pa.types.is_list(chunk.type) else chunk
        if pa.types.is_dictionary(values.type):
            lengths = pc.binary_length(values.dictionary)
            total += pc.sum(pc.take(lengths, values.indices)).as_py() or 0
    return total


def _plain(field: pa.Field) -> pa.Field:
    """The field with dictionary types replaced by their value types."""
    kind = field.type
    if pa.types.is_dictionary(kind):
        return field.with_type(kind.value_type)
    if pa.types.is_list(kind) and pa.types.is_dictionary(kind.value_type):
        return field.with_type(pa.list_(kind.value_type.value_type))
    return field
