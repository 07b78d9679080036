"""Exact k-nearest-neighbour search by brute force: each query block's scores against the stored
rows are computed tile by tile with BLAS and merged into the block's running top-k lists by a
compiled kernel, so the full query × corpus score matrix never exists and nothing sorts it. This
is quicker than faiss's flat search, whose cost is its top-k selection rather than its products,
and than numpy's full score matrix alone."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np

from core.analysis.measures import scores
from core.runtime.machine import cores, on_threads
from core.runtime.numba_cache import use_numba_cache

use_numba_cache()
from numba import njit  # noqa: E402  (after the cache folder is set)

_QUERY_BLOCK = 1024  # query rows per task
_TILE = 4096  # stored rows scored at once: a 1,024 × 4,096 float32 tile is 16 MB


@njit(cache=True, nogil=True)
def _merge_tile(tile, first_column, own, indices, best):  # pragma: no cover (compiled)
    """Merge one score tile (queries × stored rows from `first_column` on, in order) into the
    queries' lists `indices`/`best`, kept best first: a score enters only when strictly above
    the list's last, after every equal score already listed, so ties keep the lower row index.
    A query's own row (`own`) never enters; NaN never does."""
    rows, columns = tile.shape
    k = indices.shape[1]
    for r in range(rows):
        last = best[r, k - 1]
        skip = own[r] - first_column
        for j in range(columns):
            score = tile[r, j]
            if score > last and j != skip:
                place = k - 1
                while place > 0 and best[r, place - 1] < score:
                    best[r, place] = best[r, place - 1]
                    indices[r, place] = indices[r, place - 1]
                    place -= 1
                best[r, place] = score
                indices[r, place] = first_column + j
                last = best[r, k - 1]


def search(points: np.ndarray, rows: np.ndarray, k: int, measure: str) -> tuple:
    """(indices, scores) of the k best-scoring other rows of `points` for each of `rows`, under
    `measure` (core.analysis.measures.scores), best first, ties by lower row index; entries a
    row could not fill (NaN scores) are -1 and -inf.

    The query blocks are shared among threads, one per core (core.runtime.machine.on_threads:
    BLAS on one thread each, one such search at a time)."""
    points = np.ascontiguousarray(points, dtype=np.float32)
    rows = np.asarray(rows, dtype=np.int64)
    return search_queries(points, points[rows], k, measure, own=rows)


def search_queries(
    stored: np.ndarray,
    queries: np.ndarray,
    k: int,
    measure: str,
    *,
    own: np.ndarray | None = None,
    decode: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple:
    """As search, for query points of their own (rows of `queries`, comparable with `stored`):
    each query's k best stored rows, `own[q]` (a stored row, or -1 for none) left out. With
    `decode`, `stored` holds codes and each tile of them is decoded to the float32 points they
    stand for just before it is scored, so only the codes are held in memory."""
    if decode is None:
        stored = np.ascontiguousarray(stored, dtype=np.float32)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    own = np.full(len(queries), -1, np.int64) if own is None else np.asarray(own, np.int64)
    indices = np.full((len(queries), k), -1, dtype=np.int32)
    best = np.full((len(queries), k), -np.inf, dtype=np.float32)
    workers = min(cores(), max(1, len(queries)))
    block = max(1, min(_QUERY_BLOCK, math.ceil(len(queries) / workers)))
    starts = range(0, len(queries), block)

    def run(worker: int) -> None:
        for start in starts[worker::workers]:
            part = slice(start, start + block)
            for first, tile in _tiles(stored, queries[part], measure, decode):
                _merge_tile(tile, first, own[part], indices[part], best[part])

    on_threads(run, workers)
    return indices, best


def warm_up() -> None:
    """Compile the merge kernel (or load it from numba's disk cache) on a tiny input: about a
    second, then every exact search reuses it."""
    points = np.eye(4, dtype=np.float32)
    search(points, np.arange(4), 2, "cosine")


def _tiles(
    stored: np.ndarray,
    queries: np.ndarray,
    measure: str,
    decode: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    for first in range(0, stored.shape[0], _TILE):
        tile = stored[first : first + _TILE]
        yield first, scores(queries, tile if decode is None else decode(tile), measure)
