"""Bring your own embeddings: vectors computed elsewhere, one row per document.

A file's shape (rows × dimensions) is read from its header, the .npy header, the Parquet metadata
or the CSV's first lines and line count, and bounded before any number is read; the numbers are
then read straight into float32, so a small file that inflates (Parquet's dictionary and run
length encodings) or a very wide one is refused instead of exhausting memory.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from core.embed.models import ModelSpec
from core.io.corpus import Corpus
from core.runtime.cache import array_digest
from core.runtime.errors import ExplorerError
from core.runtime.limits import DEFAULT_LIMITS, Limits
from core.runtime.units import size_text

UPLOADED = "uploaded"
VECTOR_EXTENSIONS = (".npy", ".csv", ".tsv", ".parquet")
MAX_VECTOR_BYTES = 2_000_000_000  # of the file, and of the float32 matrix read from it
_TABLES = (".csv", ".tsv", ".parquet")
_SAMPLE_ROWS = 200  # a CSV's column types are judged on its first rows
_BATCH_VALUES = 4_000_000  # numbers per Parquet batch, 32 MB in float64
_NPY_HEADERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}
_NOT_NPY = (
    "The .npy file is not a plain numeric array (damaged, or pickled objects, which are refused "
    "for safety)."
)

# Columns of a table that hold whole numbers and look like ids or row numbers, not dimensions
_ID_NAME = re.compile(
    r"(unnamed: ?\d+|#|n|no|key|(row|doc|document|item|record|sample)s?"
    r"([ _-]?(id|no|num|number|index|idx))?|(.*[ _-])?(id|ids|idx|index))",
    re.IGNORECASE,
)
_SCALE_RATIO = 100  # a whole-number column this many times larger than the median column
_MIN_SEQUENCE_ROWS = 10  # shorter columns of small whole numbers rise row by row by chance
NOT_NUMBERS = "not numbers"
ID_NAME = "whole numbers named like an id"
ROW_NUMBERS = "a different whole number on every row, like row numbers"
OFF_SCALE = f"whole numbers over {_SCALE_RATIO} times larger than the other columns"


@dataclass(frozen=True)
class VectorFile:
    """The vectors read from one file, and the columns of it left out, with why."""

    name: str
    vectors: np.ndarray
    dropped: tuple[tuple[str, str], ...] = ()

    @property
    def note(self) -> str:
        """What was left out, in a sentence for the user; empty when nothing was."""
        if not self.dropped:
            return ""
        listed = "; ".join(f"{column!r} ({why})" for column, why in self.dropped)
        return (
            f"Left out of {self.name}, as not vector dimensions: {listed}. Name the vector "
            "columns to choose them yourself."
        )


def read_vectors(
    name: str,
    data: bytes,
    *,
    columns: Sequence[str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> VectorFile:
    """A (documents × dims) float32 matrix from .npy, .csv/.tsv (numbers, with or without a header
    row) or .parquet (numeric columns, or one column of equal-length lists), rows kept at their
    own lengths (dot product and euclidean distance depend on them).

    A table's vector columns are `columns` when given; else its numeric columns, less those that
    look like ids or row numbers (see VectorFile.dropped).
    """
    suffix = PurePath(name).suffix.lower()
    if suffix not in VECTOR_EXTENSIONS:
        raise ExplorerError(
            f"{name}: embeddings must be one of {', '.join(VECTOR_EXTENSIONS)}, not '{suffix}'."
        )
    if not data:
        raise ExplorerError(f"{name} is empty.")
    if len(data) > MAX_VECTOR_BYTES:
        raise ExplorerError(f"{name} is larger than {size_text(MAX_VECTOR_BYTES)}.")
    if columns and suffix not in _TABLES:
        raise ExplorerError(f"{name} is an array, whose columns have no names to choose.")
    try:
        if suffix == ".npy":
            read = VectorFile(name, _read_npy(name, data, limits))
        elif suffix == ".parquet":
            read = _read_parquet(name, data, columns, limits)
        else:
            read = _read_delimited(name, data, "\t" if suffix == ".tsv" else ",", columns, limits)
    except ExplorerError:
        raise
    except Exception as exc:  # numpy, pandas and pyarrow each raise their own types
        raise ExplorerError(f"{name} could not be read as embeddings: {str(exc)[:200]}") from exc
    _check_values(name, read.vectors)
    return read


def vector_columns(name: str, data: bytes) -> list[str]:
    """The columns of a table that can be named as its vectors: numeric ones, and a Parquet's
    columns of lists. Empty for a .npy, a CSV without a header row, or a file that cannot be
    read (read_vectors says why)."""
    suffix = PurePath(name).suffix.lower()
    try:
        if suffix == ".parquet":
            return [field.name for field in _parquet_fields(_parquet(data)) if _vector_type(field)]
        if suffix in (".csv", ".tsv"):
            sample, header = _csv_sample(data, "\t" if suffix == ".tsv" else ",")
            numeric = [str(c) for c in sample.columns if _is_real(sample[c].dtype)]
            return numeric if header else []
    except Exception:  # any damage is reported by read_vectors, with the file's name
        return []
    return []


def _check_shape(name: str, rows: int, dims: int, limits: Limits) -> None:
    """Refuse a matrix by its shape, before its numbers are read."""
    if rows < 3 or dims < 2:
        raise ExplorerError(f"{name} has {rows} rows × {dims} dimensions; need at least 3 × 2.")
    if dims > limits.max_dimensions:
        raise ExplorerError(
            f"{name} has {dims:,} dimensions; the limit is {limits.max_dimensions:,}. Keep the "
            "first dimensions of each vector (Matryoshka) or reduce them (e.g. with PCA) first."
        )
    if rows > limits.max_documents:
        raise ExplorerError(
            f"{name} has {rows:,} rows, more than the limit of {limits.max_documents:,} documents."
        )
    size = rows * dims * np.dtype(np.float32).itemsize
    if size > MAX_VECTOR_BYTES:
        raise ExplorerError(
            f"{name} holds {rows:,} × {dims:,} numbers, {size_text(size)} as float32; the limit "
            f"is {size_text(MAX_VECTOR_BYTES)}. Keep fewer dimensions or fewer documents."
        )


def _check_values(name: str, vectors: np.ndarray) -> None:
    if not np.isfinite(vectors).all():
        raise ExplorerError(f"{name} contains NaN or infinite values.")
    if not vectors.any(axis=1).all():
        raise ExplorerError(f"{name} has all-zero rows, which have no direction to compare.")


def _read_npy(name: str, data: bytes, limits: Limits) -> np.ndarray:
    stream = io.BytesIO(data)
    try:
        shape, fortran_order, dtype = _NPY_HEADERS[np.lib.format.read_magic(stream)](stream)
    except (KeyError, ValueError, EOFError) as exc:
        raise ExplorerError(_NOT_NPY) from exc
    if dtype.hasobject:
        raise ExplorerError(_NOT_NPY)
    if len(shape) != 2 or not _is_real(dtype):
        raise ExplorerError(f"{name} must hold a 2-D table of numbers (documents × dimensions).")
    _check_shape(name, *shape, limits)
    try:
        flat = np.frombuffer(data, dtype, count=shape[0] * shape[1], offset=stream.tell())
    except ValueError as exc:  # fewer bytes than the header says
        raise ExplorerError(_NOT_NPY) from exc
    return np.array(flat.reshape(shape, order="F" if fortran_order else "C"), np.float32)


def _read_parquet(
    name: str, data: bytes, columns: Sequence[str] | None, limits: Limits
) -> VectorFile:
    """Numeric columns, or one column of lists, read batch by batch into a float32 matrix whose
    size the metadata bounds beforehand."""
    file = _parquet(data)
    fields = _parquet_fields(file)
    kinds = {field.name: _vector_type(field) for field in fields}
    if columns:
        _check_named(name, columns, list(kinds))
        chosen = list(columns)
    else:
        lists = [column for column, kind in kinds.items() if kind == "list"]
        if len(lists) > 1:
            raise ExplorerError(
                f"{name} has several columns of lists ({', '.join(map(repr, lists))}). Name "
                "the one that holds the vectors."
            )
        chosen = lists or [column for column, kind in kinds.items() if kind == "number"]
    listed = len(chosen) == 1 and kinds[chosen[0]] == "list"
    wrong = [] if listed else [column for column in chosen if kinds[column] != "number"]
    if wrong or not chosen:
        raise ExplorerError(
            f"{name} must hold numeric columns or one column of lists of numbers"
            + (f"; {', '.join(map(repr, wrong))} does not." if wrong else ".")
        )
    rows = file.metadata.num_rows
    dims = -(-_leaf_values(file, chosen[0]) // max(rows, 1)) if listed else len(chosen)
    _check_shape(name, rows, dims, limits)
    matrix = np.empty((rows, dims), np.float32)
    start = 0
    for batch in file.iter_batches(batch_size=max(1, _BATCH_VALUES // dims), columns=chosen):
        stop = start + batch.num_rows
        if stop > rows:
            break
        if listed:
            matrix[start:stop] = _list_rows(name, batch.column(0), dims)
        else:  # stacked by column, then copied across: column writes into rows are strided
            columns_first = [column.to_numpy(zero_copy_only=False) for column in batch.columns]
            matrix[start:stop] = np.stack(columns_first).T
        start = stop
    if start != rows:
        raise ExplorerError(f"{name} does not hold the rows its metadata declares; it is damaged.")
    if listed or columns:
        return VectorFile(name, matrix)
    others = [(column, NOT_NUMBERS) for column, kind in kinds.items() if kind is None]
    return _without_ids(name, matrix, chosen, others)


def _parquet(data: bytes) -> pq.ParquetFile:
    return pq.ParquetFile(io.BytesIO(data))


def _parquet_fields(file: pq.ParquetFile) -> list[pa.Field]:
    """The file's columns, less the index pandas stores as a column."""
    index = (file.schema_arrow.pandas_metadata or {}).get("index_columns", [])
    return [field for field in file.schema_arrow if field.name not in index]


def _vector_type(field: pa.Field) -> str | None:
    """ "number" for a numeric column, "list" for one of lists of numbers, else None."""
    kind = field.type
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return "list" if _is_number(kind.value_type) else None
    return "number" if _is_number(kind) else None


def _is_number(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_floating(kind)


def _leaf_values(file: pq.ParquetFile, column: str) -> int:
    """How many numbers the lists of `column` hold in all, from the row groups' metadata."""
    metadata = file.metadata
    leaves = [
        j
        for j in range(metadata.num_columns)
        if metadata.schema.column(j).path.startswith(f"{column}.")  # "embedding.list.element"
    ]
    return sum(
        metadata.row_group(group).column(j).num_values
        for group in range(metadata.num_row_groups)
        for j in leaves
    )


def _list_rows(name: str, lists: pa.Array, dims: int) -> np.ndarray:
    """One batch of a list column as rows of `dims` numbers; every list must have that length."""
    lengths = pc.list_value_length(lists)
    if lists.null_count or pc.min(lengths).as_py() != dims or pc.max(lengths).as_py() != dims:
        raise ExplorerError(
            f"{name}: the vectors are not all the same length (or some are missing); every row "
            "needs one vector of the same dimensions."
        )
    return pc.list_flatten(lists).to_numpy(zero_copy_only=False).reshape(-1, dims)


def _read_delimited(
    name: str, data: bytes, sep: str, columns: Sequence[str] | None, limits: Limits
) -> VectorFile:
    """The numeric columns of a CSV/TSV, whose shape is bounded from its header and line count
    before they are read as float32."""
    sample, header = _csv_sample(data, sep)
    names = (
        [str(column) for column in sample.columns]
        if header
        else [f"column {j}" for j in range(1, sample.shape[1] + 1)]
    )
    numeric = [j for j, column in enumerate(sample.columns) if _is_real(sample[column].dtype)]
    if columns:
        if not header:
            raise ExplorerError(
                f"{name} has no header row, so its columns have no names to choose."
            )
        _check_named(name, columns, names)
        wrong = [column for column in columns if names.index(column) not in numeric]
        if wrong:
            raise ExplorerError(f"{name}: {', '.join(map(repr, wrong))} does not hold numbers.")
        chosen = [names.index(column) for column in columns]
    else:
        chosen = numeric
    if not chosen:
        raise ExplorerError(f"{name} must hold a 2-D table of numbers (documents × dimensions).")
    rows = data.count(b"\n") + (not data.endswith(b"\n")) - header  # at most; blanks are skipped
    _check_shape(name, rows, len(chosen), limits)
    table = pd.read_csv(
        io.BytesIO(data), sep=sep, header=0 if header else None, usecols=chosen, dtype=np.float32
    )
    matrix = table.iloc[:, [sorted(chosen).index(j) for j in chosen]].to_numpy(np.float32)
    if columns:
        return VectorFile(name, matrix)
    others = [(names[j], NOT_NUMBERS) for j in range(len(names)) if j not in numeric]
    return _without_ids(name, matrix, [names[j] for j in chosen], others)


def _csv_sample(data: bytes, sep: str) -> tuple[pd.DataFrame, bool]:
    """The first rows of a CSV/TSV, and whether its first line is a header: some field there is
    not a number while the line below has a number in its place, or the line is 0, 1, 2, ...
    (the names pandas gives a matrix's columns)."""
    lines = pd.read_csv(io.BytesIO(data), sep=sep, header=None, nrows=2, dtype=str)
    first, *second = [pd.to_numeric(row, errors="coerce").notna() for _, row in lines.iterrows()]
    numbered = lines.iloc[0].tolist() == [str(j) for j in range(lines.shape[1])]
    header = numbered or bool((~first & (second[0] if second else True)).any())
    sample = pd.read_csv(
        io.BytesIO(data), sep=sep, header=0 if header else None, nrows=_SAMPLE_ROWS
    )
    return sample, header


def _check_named(name: str, columns: Sequence[str], available: list[str]) -> None:
    missing = [column for column in columns if column not in available]
    if missing:
        raise ExplorerError(
            f"{name} has no column named {', '.join(map(repr, missing))}. Its columns: "
            f"{', '.join(map(repr, available))}."
        )


def _without_ids(
    name: str, matrix: np.ndarray, names: list[str], others: list[tuple[str, str]]
) -> VectorFile:
    """The matrix less its columns of whole numbers that look like ids or row numbers: named
    like an id, a different whole number on every row (row numbers, sorted ids), or far larger
    than the other columns. Quantized embeddings (whole numbers in every column) keep theirs.

    Each test runs on all rows only for the columns that pass it on the first rows and the
    column ranges, so that a wide quantized matrix is not scanned column by column."""
    rows = len(matrix)
    head = matrix[:_SAMPLE_ROWS]
    steps = np.diff(head, axis=0)
    ordered = (steps > 0).all(axis=0) | (steps < 0).all(axis=0)
    highs, lows = matrix.max(axis=0), matrix.min(axis=0)
    scales = np.maximum(highs, -lows)
    ids = []
    for j in np.flatnonzero((head == np.round(head)).all(axis=0)):
        column = matrix[:, j]
        if _ID_NAME.fullmatch(names[j].strip()):
            why = ID_NAME
        elif rows >= _MIN_SEQUENCE_ROWS and _row_numbers(column, ordered[j], highs[j] - lows[j]):
            why = ROW_NUMBERS
        elif scales[j] > _SCALE_RATIO * np.median(np.delete(scales, j)):
            why = OFF_SCALE
        else:
            continue
        if np.array_equal(column, np.round(column)):
            ids.append((j, why))
    if ids:
        matrix = np.delete(matrix, [j for j, _ in ids], axis=1)
    return VectorFile(name, matrix, (*others, *((names[j], why) for j, why in ids)))


def _row_numbers(column: np.ndarray, ordered_head: bool, span: float) -> bool:
    """Whether a column has a different number on every row: strictly rising or falling (its
    first rows already are), or a shuffle of consecutive numbers (its range is the row count)."""
    if ordered_head:
        steps = np.diff(column)
        if (steps > 0).all() or (steps < 0).all():
            return True
    return span == len(column) - 1 and len(np.unique(column)) == len(column)


def _is_real(dtype) -> bool:
    """Whether a dtype holds real numbers (integers or floats, not booleans or complex)."""
    return pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype)


def vectors_spec(name: str, vectors: np.ndarray, *, matryoshka: bool) -> ModelSpec:
    """A model spec standing for uploaded vectors; the key names the file and its content."""
    digest = hashlib.sha256(np.ascontiguousarray(vectors).tobytes()).hexdigest()[:12]
    dim = int(vectors.shape[1])
    return ModelSpec(
        key=f"{UPLOADED}:{PurePath(name).stem}:{digest}",
        label=f"Uploaded vectors {name} ({dim}-d)",
        source=UPLOADED,
        dim=dim,
        matryoshka_dims=(dim,) if matryoshka else (),
        offline=True,
    )


def check_alignment(vectors: np.ndarray, documents: int) -> np.ndarray:
    """The vectors, if there is exactly one row per document."""
    if vectors.shape[0] != documents:
        raise ExplorerError(
            f"The uploaded embeddings have {vectors.shape[0]:,} rows but the corpus has "
            f"{documents:,} documents. Upload vectors for this corpus (same order) or pick a model."
        )
    return vectors


@dataclass(frozen=True)
class UploadedVectors:
    """Embeddings uploaded for one corpus, bound to its documents (texts and ids, not labels) by
    their fingerprint, so that they are never used for other documents, even as many."""

    vectors: np.ndarray
    spec: ModelSpec
    corpus_fingerprint: str
    note: str = ""  # what the file held besides the vectors, left out (VectorFile.note)

    def matches(self, corpus: Corpus) -> bool:
        return corpus.documents_fingerprint == self.corpus_fingerprint

    @cached_property
    def digest(self) -> str:
        """Content key of the vectors themselves (a project's vectors carry its model's key)."""
        return array_digest(self.vectors)

    def for_corpus(self, corpus: Corpus) -> np.ndarray:
        """The vectors, if they were uploaded for this corpus."""
        if not self.matches(corpus):
            raise ExplorerError(
                f"The embeddings {self.spec.label} were uploaded for another corpus. Upload "
                "vectors for this corpus or pick a model."
            )
        return self.vectors


def upload_vectors(
    name: str,
    data: bytes,
    corpus: Corpus,
    *,
    matryoshka: bool = False,
    columns: Sequence[str] | None = None,
) -> UploadedVectors:
    """Read an embeddings file for `corpus` (one row per document, same order) and bind it;
    `columns` names a table's vector columns (by default see read_vectors)."""
    read = read_vectors(name, data, columns=columns)
    vectors = check_alignment(read.vectors, len(corpus))
    spec = vectors_spec(name, vectors, matryoshka=matryoshka)
    return UploadedVectors(vectors, spec, corpus.documents_fingerprint, read.note)
