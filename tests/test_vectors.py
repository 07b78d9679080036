"""Bring-your-own embeddings: every accepted format, and each broken one refused clearly."""

from __future__ import annotations

import io
import tracemalloc

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.io import vectors
from core.io.corpus import Corpus
from core.io.vectors import (
    ID_NAME,
    NOT_NUMBERS,
    OFF_SCALE,
    ROW_NUMBERS,
    UPLOADED,
    check_alignment,
    read_vectors,
    upload_vectors,
    vector_columns,
    vectors_spec,
)
from core.runtime.errors import ExplorerError
from core.runtime.limits import Limits

RNG = np.random.default_rng(0)
MATRIX = RNG.normal(size=(6, 5))
ROWS = RNG.normal(size=(12, 4))  # enough rows for a column of row numbers to stand out


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


def _csv(frame: pd.DataFrame, *, header: bool = True) -> bytes:
    return frame.to_csv(index=False, header=header).encode()


def _list_parquet(rows: int, dims: int) -> bytes:
    """A Parquet file with one column of `rows` lists of `dims` ones, written by pyarrow."""
    offsets = pa.array(np.arange(0, rows * dims + 1, dims, dtype=np.int32))
    table = pa.table(
        {"embedding": pa.ListArray.from_arrays(offsets, pa.array(np.ones(rows * dims)))}
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def _npy_header(shape: tuple[int, int], dtype: str) -> bytes:
    """An .npy header declaring `shape`, without the numbers it promises."""
    buffer = io.BytesIO()
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("e.npy", _npy(MATRIX)),
        ("e.csv", pd.DataFrame(MATRIX).to_csv(index=False, header=False).encode()),
        ("e.csv", pd.DataFrame(MATRIX, columns=list("abcde")).to_csv(index=False).encode()),
        ("e.csv", pd.DataFrame(MATRIX).to_csv(index=False).encode()),  # header 0,1,2,3,4
        ("e.csv", pd.DataFrame(MATRIX).to_csv().encode()),  # and the index, as "Unnamed: 0"
        ("e.tsv", pd.DataFrame(MATRIX).to_csv(index=False, header=False, sep="\t").encode()),
        ("e.parquet", _parquet(pd.DataFrame(MATRIX, columns=list("abcde")))),
        ("e.parquet", _parquet(pd.DataFrame({"embedding": [list(row) for row in MATRIX]}))),
    ],
)
def test_each_format_gives_the_same_rows_at_their_own_lengths(name, data):
    vectors = read_vectors(name, data).vectors
    assert vectors.dtype == np.float32 and vectors.shape == (6, 5)
    np.testing.assert_allclose(vectors, MATRIX, rtol=1e-6)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("e.txt", b"1,2", "must be one of"),
        ("e.npy", b"", "empty"),
        ("e.npy", b"not an array", "not a plain numeric array"),
        ("e.npy", _npy(np.array([{"a": 1}] * 3, dtype=object)), "not a plain numeric array"),
        ("e.npy", _npy(np.arange(5.0)), "2-D table of numbers"),
        ("e.npy", _npy(np.ones((2, 4))), "at least 3"),
        ("e.csv", b"1,2\n3,nan\n5,6\n", "NaN or infinite"),
        ("e.csv", b"a,b\nx,y\nz,w\n", "2-D table of numbers"),
        ("e.npy", _npy(np.vstack([np.ones((3, 4)), np.zeros((1, 4))])), "all-zero rows"),
        ("e.parquet", b"PAR1 broken", "could not be read"),
        (
            "e.parquet",
            _parquet(pd.DataFrame({"embedding": [[1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0]]})),
            "not all the same length",
        ),
    ],
)
def test_broken_vectors_are_refused_with_a_clear_message(name, data, message):
    with pytest.raises(ExplorerError, match=message):
        read_vectors(name, data)


def test_spec_key_names_the_content_and_matryoshka_choice():
    vectors = read_vectors("e.npy", _npy(MATRIX)).vectors
    native = vectors_spec("e.npy", vectors, matryoshka=True)
    other = vectors_spec("e.npy", vectors[::-1].copy(), matryoshka=False)
    assert native.source == UPLOADED and native.dim == 5
    assert native.is_matryoshka and not other.is_matryoshka
    assert native.key != other.key and native.key.startswith("uploaded:e:")


def test_alignment_requires_one_row_per_document():
    vectors = read_vectors("e.npy", _npy(MATRIX)).vectors
    assert check_alignment(vectors, 6) is vectors
    with pytest.raises(ExplorerError, match="6 rows but the corpus has 7 documents"):
        check_alignment(vectors, 7)


# Bounds checked from the header, before the numbers are read

_WIDE_ONES = np.ones((150_000, 20))  # 12 MB as float32


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("e.parquet", _parquet(pd.DataFrame(_WIDE_ONES, columns=[f"d{j}" for j in range(20)]))),
        ("e.parquet", _list_parquet(150_000, 20)),
        ("e.npy", _npy(_WIDE_ONES.astype(np.int8))),
        ("e.csv", _csv(pd.DataFrame(_WIDE_ONES.astype(int)), header=False)),
    ],
)
def test_a_file_whose_float32_matrix_is_over_the_limit_is_refused(monkeypatch, name, data):
    monkeypatch.setattr(vectors, "MAX_VECTOR_BYTES", 10_000_000)
    assert len(data) < 10_000_000  # Parquet's encodings, int8 and short text inflate
    with pytest.raises(
        ExplorerError, match=r"150,000 × 20 numbers, 12 MB as float32; the limit is 10 MB"
    ):
        read_vectors(name, data)


def test_an_npy_shape_is_refused_from_its_header_before_its_numbers_are_read():
    data = _npy_header((150_000, 4_000), "<f8")  # 4.8 GB declared, a few bytes given
    with pytest.raises(
        ExplorerError, match=r"150,000 × 4,000 numbers, .* as float32; the limit is 2 GB"
    ):
        read_vectors("e.npy", data)


def test_a_float64_npy_is_read_into_float32_without_a_float64_copy():
    matrix = RNG.normal(size=(20_000, 128))
    data = _npy(matrix)  # 20 MB
    tracemalloc.start()
    read = read_vectors("e.npy", data).vectors
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert read.dtype == np.float32 and read.flags.writeable
    np.testing.assert_array_equal(read, matrix.astype(np.float32))
    assert peak < 0.7 * len(data)  # the float32 matrix is half the file


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("e.npy", _npy(np.ones((3, 8_193), dtype=np.float32))),
        ("e.csv", _csv(pd.DataFrame(np.ones((3, 8_193), dtype=int)), header=False)),
        ("e.parquet", _list_parquet(3, 8_193)),
    ],
)
def test_vectors_wider_than_the_dimension_limit_are_refused(name, data):
    with pytest.raises(ExplorerError, match="has 8,193 dimensions; the limit is 8,192"):
        read_vectors(name, data)


def test_dimension_limit_is_set_by_the_server(monkeypatch):
    assert Limits().max_dimensions == 8_192
    monkeypatch.setenv("MGE_MAX_DIMENSIONS", "16")
    with pytest.raises(ExplorerError, match="has 32 dimensions; the limit is 16"):
        read_vectors("e.npy", _npy(np.ones((3, 32))), limits=Limits())
    monkeypatch.setenv("MGE_MAX_DIMENSIONS", "wide")
    assert Limits().max_dimensions == 8_192


# Columns that are not vector dimensions


def _with(column: str, values, *, at: int = 0) -> pd.DataFrame:
    """ROWS as columns a..d, with `column` inserted at position `at`."""
    frame = pd.DataFrame(ROWS, columns=list("abcd"))
    frame.insert(at, column, values)
    return frame


SHUFFLED = RNG.permutation(12)


@pytest.mark.parametrize(
    ("name", "data", "dropped"),
    [
        ("e.csv", _csv(_with("id", SHUFFLED * 7 + 3)), ("id", ID_NAME)),
        ("e.csv", _csv(_with("Doc_ID", SHUFFLED * 7 + 3, at=4)), ("Doc_ID", ID_NAME)),
        ("e.csv", _csv(_with("rank", np.arange(1, 13))), ("rank", ROW_NUMBERS)),
        ("e.csv", _csv(_with("x", SHUFFLED + 100)), ("x", ROW_NUMBERS)),
        ("e.csv", _csv(_with("ref", RNG.integers(10**5, 10**6, 12))), ("ref", OFF_SCALE)),
        ("e.csv", _csv(_with("0", np.arange(12)), header=False), ("column 1", ROW_NUMBERS)),
        ("e.csv", _csv(_with("title", [f"doc {i}" for i in range(12)])), ("title", NOT_NUMBERS)),
        ("e.parquet", _parquet(_with("row", np.arange(12))), ("row", ID_NAME)),
        ("e.parquet", _parquet(_with("key", [f"k{i}" for i in range(12)])), ("key", NOT_NUMBERS)),
    ],
)
def test_an_id_or_row_number_column_is_left_out_with_a_note(name, data, dropped):
    read = read_vectors(name, data)
    np.testing.assert_allclose(read.vectors, ROWS, rtol=1e-6)
    assert read.dropped == (dropped,)
    assert f"{dropped[0]!r} ({dropped[1]})" in read.note


def test_quantized_vectors_keep_their_whole_number_columns_and_lose_only_the_id():
    quantized = RNG.integers(-128, 128, size=(12, 6))
    frame = pd.DataFrame(quantized, columns=[f"q{j}" for j in range(6)])
    frame.insert(0, "id", np.arange(12))
    read = read_vectors("q.csv", _csv(frame))
    np.testing.assert_array_equal(read.vectors, quantized)
    assert read.dropped == (("id", ID_NAME),)


def test_a_parquet_of_ids_and_one_list_column_uses_the_lists():
    frame = pd.DataFrame({"id": [f"d{i}" for i in range(6)], "embedding": list(MATRIX)})
    read = read_vectors("e.parquet", _parquet(frame))
    np.testing.assert_allclose(read.vectors, MATRIX, rtol=1e-6)
    assert read.note == ""


@pytest.mark.parametrize("name", ["e.csv", "e.parquet"])
def test_named_columns_are_the_vectors_in_the_order_given(name):
    frame = _with("id", np.arange(12))
    data = _csv(frame) if name == "e.csv" else _parquet(frame)
    assert vector_columns(name, data) == ["id", "a", "b", "c", "d"]
    read = read_vectors(name, data, columns=["d", "id", "a"])
    np.testing.assert_allclose(read.vectors[:, [0, 2]], ROWS[:, [3, 0]], rtol=1e-6)
    np.testing.assert_array_equal(read.vectors[:, 1], np.arange(12))
    assert read.dropped == ()


@pytest.mark.parametrize(
    ("name", "data", "columns", "message"),
    [
        (
            "e.csv",
            _csv(_with("id", np.arange(12))),
            ["z"],
            "no column named 'z'. Its columns: 'id', 'a'",
        ),
        (
            "e.csv",
            _csv(_with("title", list("abcdefghijkl"))),
            ["title", "a"],
            "'title' does not hold numbers",
        ),
        ("e.parquet", _parquet(_with("id", np.arange(12))), ["z"], "no column named 'z'"),
        ("e.csv", _csv(pd.DataFrame(ROWS), header=False), ["0"], "no header row"),
        ("e.npy", _npy(ROWS), ["a"], "no names to choose"),
    ],
)
def test_naming_a_column_that_cannot_be_used_is_explained(name, data, columns, message):
    with pytest.raises(ExplorerError, match=message):
        read_vectors(name, data, columns=columns)


def test_vector_columns_are_offered_only_for_tables_with_named_columns():
    assert vector_columns("e.csv", _csv(_with("title", list("abcdefghijkl")))) == list("abcd")
    assert vector_columns("e.csv", _csv(pd.DataFrame(ROWS), header=False)) == []
    assert vector_columns("e.npy", _npy(ROWS)) == []
    assert vector_columns("e.parquet", b"PAR1 broken") == []


def test_uploaded_vectors_carry_the_note_on_what_was_left_out():
    corpus = Corpus("c", tuple(f"text {i}" for i in range(12)), tuple(f"d{i}" for i in range(12)))
    uploaded = upload_vectors("mine.csv", _csv(_with("id", np.arange(12))), corpus)
    assert uploaded.vectors.shape == (12, 4)
    assert uploaded.note.startswith("Left out of mine.csv, as not vector dimensions: 'id'")
    chosen = upload_vectors(
        "mine.csv", _csv(_with("id", np.arange(12))), corpus, columns=["a", "b"]
    )
    assert chosen.vectors.shape == (12, 2) and chosen.note == ""
