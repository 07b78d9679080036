"""Bring-your-own embeddings: every accepted format, and each broken one refused clearly."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from core.errors import ExplorerError
from core.io.vectors import UPLOADED, check_alignment, read_vectors, vectors_spec

RNG = np.random.default_rng(0)
MATRIX = RNG.normal(size=(6, 5))


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("e.npy", _npy(MATRIX)),
        ("e.csv", pd.DataFrame(MATRIX).to_csv(index=False, header=False).encode()),
        ("e.csv", pd.DataFrame(MATRIX, columns=list("abcde")).to_csv(index=False).encode()),
        ("e.tsv", pd.DataFrame(MATRIX).to_csv(index=False, header=False, sep="\t").encode()),
        ("e.parquet", _parquet(pd.DataFrame(MATRIX, columns=list("abcde")))),
        ("e.parquet", _parquet(pd.DataFrame({"embedding": [list(row) for row in MATRIX]}))),
    ],
)
def test_each_format_gives_the_same_rows_at_their_own_lengths(name, data):
    vectors = read_vectors(name, data)
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
    ],
)
def test_broken_vectors_are_refused_with_a_clear_message(name, data, message):
    with pytest.raises(ExplorerError, match=message):
        read_vectors(name, data)


def test_spec_key_names_the_content_and_matryoshka_choice():
    vectors = read_vectors("e.npy", _npy(MATRIX))
    native = vectors_spec("e.npy", vectors, matryoshka=True)
    other = vectors_spec("e.npy", vectors[::-1].copy(), matryoshka=False)
    assert native.source == UPLOADED and native.dim == 5
    assert native.is_matryoshka and not other.is_matryoshka
    assert native.key != other.key and native.key.startswith("uploaded:e:")


def test_alignment_requires_one_row_per_document():
    vectors = read_vectors("e.npy", _npy(MATRIX))
    assert check_alignment(vectors, 6) is vectors
    with pytest.raises(ExplorerError, match="6 rows but the corpus has 7 documents"):
        check_alignment(vectors, 7)
