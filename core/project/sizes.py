"""The per-size tables read back (neighbour lists, graphs, communities, keywords, maps), each
size's rows checked before they are used.

Each size's per-document tables are checked to hold every document once and to name only
documents the project has: a crafted table would otherwise colour, place or link documents
other than the ones it shows, or stop a page on an index out of range."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pyarrow as pa

from core.analysis.graph import Graph
from core.analysis.knn import Neighbours
from core.analysis.ladder import DimensionView
from core.project.vectors import matrix
from core.runtime.errors import ExplorerError


def read_neighbours(table: pa.Table, dims: tuple[int, ...], n: int) -> dict[int, Neighbours]:
    """Each size's neighbour lists, one per document, naming only the project's documents."""
    return _per_dim(table, dims, lambda t, d: _neighbours(t, n, d))


def read_views(
    tables: Mapping[str, pa.Table], neighbours: dict[int, Neighbours], k: int, n: int
) -> dict[int, DimensionView]:
    """Each size's graph, communities and their keywords, beside its first k neighbours."""
    dims = tuple(neighbours)
    names = _per_dim(tables["keywords"], dims, lambda t, d: _keywords(t), required=False)
    graphs = _per_dim(tables["graph"], dims, lambda t, d: _graph(t, n, d))
    members = _per_dim(tables["communities"], dims, lambda t, d: _communities(t, n, d, len(dims)))
    return {
        d: DimensionView(
            dim=d,
            neighbours=Neighbours(neighbours[d].indices[:, :k], neighbours[d].scores[:, :k]),
            graph=graphs[d],
            communities=members[d]["community"].to_numpy().astype(np.int64),
            keywords=names[d],
            recall=members[d]["recall"].to_numpy(),
        )
        for d in dims
    }


def read_maps(table: pa.Table, dims: tuple[int, ...], n: int) -> dict[int, np.ndarray]:
    """Each size's map: one (x, y) per document, in row order."""
    return _per_dim(table, dims, lambda t, d: _coordinates(t, n, d))


def _per_dim(table: pa.Table, dims, build: Callable, *, required: bool = True) -> dict:
    """build(rows, dim) for each size's rows of a table stacked by size."""
    frame_dims = table.column("dim").to_numpy()
    found = {}
    for d in dims:
        part = table.filter(pa.array(frame_dims == d))
        if part.num_rows == 0 and required:
            raise ExplorerError(f"The project has no results for {d} dims; it was not opened.")
        found[d] = build(part, d)
    return found


def _every_row(table: pa.Table, n: int, what: str, dim: int) -> pa.Table:
    """The table sorted by row, refused unless its rows are the n documents, each once."""
    if not np.array_equal(np.sort(table.column("row").to_numpy()), np.arange(n)):
        raise ExplorerError(
            f"The project's {what} for {dim} dims do not give each of its {n:,} documents one "
            "row; it was not opened."
        )
    return table.sort_by("row")


def _in_range(values: np.ndarray, limit: int, what: str, dim: int) -> None:
    """Refuse values outside 0..limit-1 (document rows, or community numbers)."""
    outside = values[(values < 0) | (values >= limit)]
    if outside.size:
        raise ExplorerError(
            f"The project's {what} for {dim} dims name {outside[0]}, outside 0 to "
            f"{limit - 1:,}; it was not opened."
        )


def _neighbours(table: pa.Table, n: int, dim: int) -> Neighbours:
    table = _every_row(table, n, "neighbour lists", dim)
    indices = matrix(table, np.int64, "neighbours")
    _in_range(indices, n, "neighbour lists", dim)
    return Neighbours(indices.astype(np.int32), matrix(table, np.float32, "scores"))


def _graph(table: pa.Table, n: int, dim: int) -> Graph:
    src, dst = (table.column(end).to_numpy().astype(np.int64) for end in ("src", "dst"))
    _in_range(np.concatenate([src, dst]), n, "graph edges", dim)
    weight = table.column("weight").to_numpy().astype(np.float32)
    return Graph(n, src.astype(np.int32), dst.astype(np.int32), weight)


def _communities(table: pa.Table, n: int, dim: int, sizes: int) -> pa.Table:
    table = _every_row(table, n, "communities", dim)
    # numbers start below n at the largest size and grow by fewer than n at each smaller one
    # (core.analysis.communities.match_communities numbers the unmatched anew), so arrays
    # indexed by community number stay small
    values = table.column("community").to_numpy().astype(np.int64)
    _in_range(values, n * sizes, "communities", dim)
    return table


def _coordinates(table: pa.Table, n: int, dim: int) -> np.ndarray:
    table = _every_row(table, n, "map coordinates", dim)
    return np.column_stack([table.column(axis).to_numpy() for axis in ("x", "y")]).astype(
        np.float32
    )


def _keywords(table: pa.Table) -> dict[int, tuple[str, ...]]:
    return {
        int(c): tuple(words)
        for c, words in zip(
            table.column("community").to_pylist(), table.column("keywords").to_pylist(), strict=True
        )
    }
