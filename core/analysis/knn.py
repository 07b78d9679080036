"""Nearest neighbours of truncated views under a similarity measure (core.analysis.measures):
exact up to EXACT_KNN_LIMIT rows, approximate (NN-descent) above, where exact search grows as n²
and stops fitting the ladder's time budget. Dot product is always searched exactly: the largest
inner product is no distance, so NN-descent's premise (a neighbour's neighbour is likely a
neighbour) does not hold for it."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from core.analysis.measures import check_measure, scores
from core.runtime.numba_cache import cache_package_kernels, use_numba_cache

# Up to this many rows exact search (core.analysis.brute_force) costs little more than
# NN-descent and has no search error; above it, exact search's n² cost soon outgrows NN-descent's.
EXACT_KNN_LIMIT = 50_000
# Up to this many stored rows exact search runs in numpy (core.analysis.top_k): about 2.5 times
# the compiled search's time, which at this size is less over a whole ladder than importing
# numba and loading (or, on a fresh install, compiling) the merge kernel: that would be most of
# a small corpus's wait. Above it the compiled merge's speed outweighs its start.
NUMPY_EXACT_ROWS = 4_000
# NN-descent's list length (self included) before cutting to k: lists of k + 1 miss a share of
# the true neighbours on real text, longer ones find nearly all, for a few times the time.
_APPROX_LIST = 30
_BLOCK_CELLS = 2**24  # query × corpus scores held at once: 64 MB as float32


@dataclass(frozen=True)
class Neighbours:
    """Each row's k nearest other rows, closest first, ties (equal float32 scores) by lower row
    index. Scores are higher-is-closer: the similarity, or minus the euclidean distance. Indices
    are int32, half the memory of int64 (numpy indexes with either)."""

    indices: np.ndarray  # (n, k) int32
    scores: np.ndarray  # (n, k) float32


def knn(points: np.ndarray, k: int, measure: str = "cosine") -> Neighbours:
    """kNN of rows from measures.prefix_points (unit rows for cosine), each row's own entry left
    out by index (its duplicates stay): exact brute force (exact_neighbours) up to
    EXACT_KNN_LIMIT rows and for dot product, seeded NN-descent above, with any row it could not
    fill searched exactly. Either way the same data gives the same lists."""
    check_measure(measure)
    n = points.shape[0]
    if min(k, n - 1) < 1:
        raise ValueError("kNN needs at least two rows")
    points = np.ascontiguousarray(points, dtype=np.float32)
    if n <= EXACT_KNN_LIMIT or measure == "dot":
        return exact_neighbours(points, np.arange(n), k, measure)
    found, unsure = _approximate_knn(points, min(k, n - 1), measure)
    if unsure.size:
        exact = exact_neighbours(points, unsure, k, measure)
        found.indices[unsure] = exact.indices
        found.scores[unsure] = exact.scores
    return found


def _approximate_knn(points: np.ndarray, k: int, measure: str) -> tuple[Neighbours, np.ndarray]:
    """Seeded NN-descent lists, longer than k (see _APPROX_LIST) and cut to k, and the rows it
    could not fill. Each size starts afresh: starting from a larger size's lists saves little
    and loses recall. faiss's HNSW needs no compiling but is slower at equal recall, and its
    threaded build is not sure to be deterministic."""
    n_neighbors = min(max(k + 1, _APPROX_LIST), points.shape[0])
    with warnings.catch_warnings():  # knn searches unfilled rows exactly
        warnings.filterwarnings("ignore", message="Failed to correctly find n_neighbors")
        index = _nndescent()(points, metric=measure, n_neighbors=n_neighbors, random_state=0)
        indices, distances = index.neighbor_graph
    best = 1.0 - distances if measure == "cosine" else -distances
    found = _without_self(*_ranked(indices, best), k)
    return found, np.flatnonzero((found.indices < 0).any(axis=1))


@functools.cache
def _nndescent() -> type:
    """pynndescent's NNDescent, with numba's disk cache on for its kernels that take no function
    (core.runtime.numba_cache.cache_package_kernels, only on the versions its WRITTEN_FOR names),
    so a new process compiles only those taking the distance function. Those stay uncached: a
    cached kernel naming the distance, as pynndescent does for its `diversify_*`, cannot hold
    the descent either, as it calls numba.get_num_threads, which numba compiles to a pointer it
    will not cache."""
    use_numba_cache()
    from pynndescent import NNDescent

    cache_package_kernels("pynndescent")
    return NNDescent


def warm_up(measure: str = "cosine") -> None:
    """Compile NN-descent's kernels for `measure` on a tiny input (or load them from numba's disk
    cache), the same way as knn does above EXACT_KNN_LIMIT (see _nndescent for which compile
    in every process)."""
    points = np.random.default_rng(0).normal(size=(4 * _APPROX_LIST, 8)).astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    _approximate_knn(points, 10, measure)


def _ranked(indices: np.ndarray, best: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's entries best score first, ties by lower index, so order never depends on how
    a search happened to visit them."""
    order = np.lexsort((indices, -best))
    return np.take_along_axis(indices, order, 1), np.take_along_axis(best, order, 1)


def _without_self(indices: np.ndarray, best: np.ndarray, k: int) -> Neighbours:
    """The first k neighbours of each row other than the row itself, found by index: a
    duplicate document can come before the row in its own list, so the first column is not
    always self."""
    is_self = indices == np.arange(indices.shape[0])[:, None]
    order = np.argsort(is_self, axis=1, kind="stable")[:, :k]
    return Neighbours(
        np.take_along_axis(indices, order, axis=1).astype(np.int32),
        np.take_along_axis(best, order, axis=1).astype(np.float32),
    )


def knn_recall(reference: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """Per row, the share of the reference neighbours (e.g. full size's) also among the candidate
    neighbours, whose lists may be shorter; one list of each (1-D) gives that list's share."""
    reference, candidate = np.asarray(reference), np.asarray(candidate)
    hits = (candidate[..., :, None] == reference[..., None, :]).any(axis=-2).sum(axis=-1)
    return hits / reference.shape[-1]


def score_blocks(
    stored: np.ndarray, rows: np.ndarray, measure: str = "cosine"
) -> Iterator[tuple[slice, np.ndarray]]:
    """(slice of `rows`, scores of those rows against every stored row under `measure`) per block
    of queries, each query's own row set to -inf."""
    step = max(1, _BLOCK_CELLS // stored.shape[0])
    for start in range(0, len(rows), step):
        block = rows[start : start + step]
        found = scores(stored[block], stored, measure)
        found[np.arange(len(block)), block] = -np.inf
        yield slice(start, start + len(block)), found


def kth_largest(block: np.ndarray, k: int) -> np.ndarray:
    return np.partition(block, -k, axis=1)[:, -k, None]


def exact_neighbours(
    points: np.ndarray, rows: np.ndarray, k: int, measure: str = "cosine"
) -> Neighbours:
    """Exact k nearest other rows of each of `rows` under `measure` by brute force, closest
    first: in numpy (core.analysis.top_k) up to NUMPY_EXACT_ROWS rows, else with the compiled
    merge (core.analysis.brute_force); both give the same lists.

    A query's own row is left out by index, so its duplicates still count as neighbours; ties
    (equal float32 scores) go to the lower row index, so the same data always gives the same
    lists.
    """
    check_measure(measure)
    k = min(k, points.shape[0] - 1)
    if k < 1:
        raise ValueError("kNN needs at least two rows")
    if points.shape[0] <= NUMPY_EXACT_ROWS:
        from core.analysis import top_k

        return Neighbours(*top_k.search(points, rows, k, measure))
    from core.analysis import brute_force  # numba is imported when first searched with

    return Neighbours(*brute_force.search(points, rows, k, measure))


def sample_rows(n: int, size: int) -> np.ndarray:
    """A seeded sample of `size` distinct row indices in increasing order (all rows if fewer)."""
    return np.sort(np.random.default_rng(0).choice(n, size=min(n, size), replace=False))
