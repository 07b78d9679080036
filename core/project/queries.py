"""The project's query set read back: queries.parquet checked against the fingerprint the
manifest gives, the queries' own vectors and the retrieval table."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from core.io.queries import QuerySet
from core.project.summaries import read_timed
from core.project.vectors import matrix
from core.runtime.errors import ExplorerError


def read_query_set(manifest: dict, tables: Mapping[str, pa.Table]) -> QuerySet | None:
    """The project's query set, or None when it has none."""
    entry = manifest.get("queries")
    if not isinstance(entry, dict) or "queries" not in tables:
        return None
    queries = tables["queries"].to_pydict()
    query_set = QuerySet(
        str(entry.get("name", "queries")),
        tuple(queries["id"]),
        tuple(queries["text"]),
        tuple(
            tuple(zip(docs, grades, strict=True))
            for docs, grades in zip(queries["relevant"], queries["grades"], strict=True)
        ),
        tuple(f"query {i + 1}" for i in range(len(queries["id"]))),
        from_labels=int(entry.get("from_labels", 0)),
    )
    if query_set.fingerprint != entry.get("fingerprint"):
        raise ExplorerError(
            "The project's query set does not match the fingerprint in its manifest; it was "
            "not opened."
        )
    return query_set


def read_query_vectors(
    tables: Mapping[str, pa.Table], query_set: QuerySet | None
) -> np.ndarray | None:
    """The queries' full-size vectors (a query file's), or None."""
    if "query_embedding" not in tables or query_set is None:
        return None
    return matrix(tables["query_embedding"], np.float32)


def read_retrieval(
    tables: Mapping[str, pa.Table], query_set: QuerySet | None, manifest: dict
) -> pd.DataFrame | None:
    """The retrieval table of the query set, or None."""
    if "retrieval" not in tables or query_set is None:
        return None
    return read_timed(tables["retrieval"], manifest)
