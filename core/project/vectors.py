"""The project's vector tables read back: the embedding with its ordering, and the matrices
stored as one fixed-size list per row."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa

from core.analysis.ordering import Ordered
from core.runtime.errors import ExplorerError


def read_embedding(
    tables: Mapping[str, pa.Table], documents: int, dims: tuple[int, ...], ordering: str
) -> tuple[np.ndarray, Ordered]:
    """The full-size vectors and their ordered form (with the PCA rotation, when there is one),
    refused unless there is one vector per document, as wide as the largest size."""
    raw = matrix(tables["embedding"], np.float32)
    rotation = matrix(tables["rotation"], np.float64) if "rotation" in tables else None
    if raw.shape[0] != documents or max(dims) != raw.shape[1]:
        raise ExplorerError("The project's embedding does not fit its documents and sizes.")
    return raw, Ordered(Ordered(raw, ordering, rotation).transform(raw), ordering, rotation)


def matrix(table: pa.Table, dtype, column_name: str = "vector") -> np.ndarray:
    """A column of fixed-size lists as a matrix of one row per list."""
    column = table.column(column_name).combine_chunks()
    width = column.type.list_size
    return column.flatten().to_numpy().astype(dtype).reshape(-1, width)
