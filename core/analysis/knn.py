"""Nearest neighbours of truncated views under a similarity measure (core.analysis.measures):
exact up to EXACT_KNN_LIMIT rows, approximate (NN-descent) above, where exact search grows as n²
and stops fitting the ladder's time budget. Dot product is always searched exactly: the largest
inner product is no distance, so NN-descent's premise (a neighbour's neighbour is likely a
neighbour) does not hold for it."""

from __future__ import annotations

import functools
import os
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from core.analysis.measures import check_measure, scores
from core.numba_cache import cache_package_kernels, use_numba_cache

# The crossover, measured on 2 cores with 256-d WordLlama embeddings of real text and the default
# 10-size ladder (256 … 8, k = 10): exact search takes ~25 s at 50k rows (47 CPU-s), ~113 s at
# 100k and ~400 s at 200k (n²); NN-descent 18 s at 50k and 40 s at 100k, plus ~20 s of numba
# compiling once per process, at recall 0.96–1.0. Up to 50k exact costs about the same and has
# no search error.
EXACT_KNN_LIMIT = 50_000
# NN-descent's list length (self included) before cutting to k: 30 reaches recall 0.96–1.0 on
# real text at 50k–200k rows where k + 1 = 11 reaches 0.79–0.99, for ~2.5× the time.
_APPROX_LIST = 30
_BLOCK_CELLS = 2**24  # query × corpus scores held at once: 64 MB as float32


@dataclass(frozen=True)
class Neighbours:
    """Each row's k nearest other rows, closest first, ties (equal float32 scores) by lower row
    index. Scores are higher-is-closer: the similarity, or minus the euclidean distance. Indices
    are int32, half the memory of int64 (numpy indexes with either)."""

    indices: np.ndarray  # (n, k) int32
    scores: np.ndarray  # (n, k) float32


def knn(points: np.ndarray, k: int, measure: str = "cosine", *, block: int = 16_384) -> Neighbours:
    """kNN of rows from measures.prefix_points (unit rows for cosine), each row's own entry left
    out by index (its duplicates stay): exact brute force (faiss) up to EXACT_KNN_LIMIT rows and
    for dot product, ties in float32 score going to the lower row index as in exact_neighbours
    (copies of one vector can differ in the last bit, so need not tie); seeded NN-descent above.
    Either way the same data gives the same lists. `block` is the number of query rows per faiss
    call."""
    check_measure(measure)
    n = points.shape[0]
    k = min(k, n - 1)
    if k < 1:
        raise ValueError("kNN needs at least two rows")
    points = np.ascontiguousarray(points, dtype=np.float32)
    if n > EXACT_KNN_LIMIT and measure != "dot":
        found, unsure = _approximate_knn(points, k, measure)
    else:
        found, unsure = _exact_knn(points, k, measure, block)
    if unsure.size:
        exact = exact_neighbours(points, unsure, k, measure)
        found.indices[unsure] = exact.indices
        found.scores[unsure] = exact.scores
    return found


def _exact_knn(
    points: np.ndarray, k: int, measure: str, block: int
) -> tuple[Neighbours, np.ndarray]:
    """Exact lists by faiss, and the rows still unsure. faiss keeps an arbitrary few of the scores
    tied at the end of its list, so lists run one place past self and k others to show where a
    tie is cut; those rows are searched again with 4× and 16× longer lists (duplicate documents
    make such ties common), and any left are unsure."""
    faiss = load_faiss()
    n = points.shape[0]
    found = Neighbours(np.empty((n, k), np.int32), np.empty((n, k), np.float32))
    rows = np.arange(n)
    for length in (k + 2, 4 * (k + 2), 16 * (k + 2)):
        listed = min(length, n)
        best, indices = _search(faiss, points, rows, listed, measure, block)
        part = _without_self(*_ranked(indices, best), k, rows)
        cut = best[:, -1] >= part.scores[:, -1] if listed < n else np.zeros(len(rows), bool)
        found.indices[rows[~cut]] = part.indices[~cut]
        found.scores[rows[~cut]] = part.scores[~cut]
        rows = rows[cut]
        if rows.size == 0:
            break
    return found, rows


def _search(
    faiss: ModuleType,
    points: np.ndarray,
    rows: np.ndarray,
    listed: int,
    measure: str,
    block: int,
) -> tuple[np.ndarray, np.ndarray]:
    """faiss's `listed` best scores of each of `rows` against every row, best first: inner
    products, or minus the distance (faiss gives squared euclidean distances)."""
    metric = faiss.METRIC_L2 if measure == "euclidean" else faiss.METRIC_INNER_PRODUCT
    parts = [
        faiss.knn(points[rows[start : start + block]], points, listed, metric=metric)
        for start in range(0, len(rows), block)
    ]
    best = np.vstack([part[0] for part in parts])
    if measure == "euclidean":
        best = -np.sqrt(np.clip(best, 0, None))
    return best, np.vstack([part[1] for part in parts])


def load_faiss() -> ModuleType:
    """faiss (one thread per core), imported so that its own OpenMP runtime lets idle threads
    sleep rather than spin unless OMP_WAIT_POLICY says otherwise: with other processes on the two
    cores, spinning made exact search 3–7× slower (50k rows, 8–64 d), while sleeping cost nothing
    measurable on an idle machine. The runtime reads the variable once, on import; it is then
    restored, so runtimes loaded later (torch's, numba's) are left as they were."""
    if "faiss" not in sys.modules:
        previous = os.environ.get("OMP_WAIT_POLICY")
        os.environ["OMP_WAIT_POLICY"] = previous or "PASSIVE"
        try:
            import faiss  # noqa: F401
        finally:
            if previous is None:
                del os.environ["OMP_WAIT_POLICY"]
    return sys.modules["faiss"]


def _approximate_knn(points: np.ndarray, k: int, measure: str) -> tuple[Neighbours, np.ndarray]:
    """Seeded NN-descent lists, longer than k (see _APPROX_LIST) and cut to k, and the rows it
    could not fill. Starting from a larger size's lists was measured and dropped (it saved under
    0.3 s per size at 50k rows and lost recall), as was faiss HNSW (1.3–2.2× slower per size at
    equal recall, if with no compiling, and its threaded build is not sure to be deterministic)."""
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
    (core.numba_cache.cache_package_kernels): its warm-up took 35–57 s in a new process on this
    project's machine, and 15–17 s once cached (the kernels taking the distance function still
    compile every time)."""
    use_numba_cache()
    from pynndescent import NNDescent

    cache_package_kernels("pynndescent")
    return NNDescent


def warm_up(measure: str = "cosine") -> None:
    """Compile NN-descent's kernels for `measure` on a tiny input (or load them from numba's disk
    cache), the same way as knn does above EXACT_KNN_LIMIT (see _nndescent for its cost)."""
    points = np.random.default_rng(0).normal(size=(4 * _APPROX_LIST, 8)).astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    _approximate_knn(points, 10, measure)


def _ranked(indices: np.ndarray, best: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's entries best score first, ties by lower index, so order never depends on how
    a search happened to visit them."""
    order = np.lexsort((indices, -best))
    return np.take_along_axis(indices, order, 1), np.take_along_axis(best, order, 1)


def _without_self(
    indices: np.ndarray, best: np.ndarray, k: int, rows: np.ndarray | None = None
) -> Neighbours:
    """The first k neighbours of each row (`rows`, by default all in order) other than the row
    itself, found by index: a duplicate document can come before the row in its own list, so
    the first column is not always self."""
    own = np.arange(indices.shape[0]) if rows is None else rows
    is_self = indices == own[:, None]
    order = np.argsort(is_self, axis=1, kind="stable")[:, :k]
    return Neighbours(
        np.take_along_axis(indices, order, axis=1).astype(np.int32),
        np.take_along_axis(best, order, axis=1).astype(np.float32),
    )


def knn_recall(reference: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """Per row, the share of reference neighbours also among the candidate neighbours."""
    k = reference.shape[1]
    hits = (candidate[:, :, None] == reference[:, None, :]).any(axis=1).sum(axis=1)
    return hits / k


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
    """Exact k nearest other rows of each of `rows` under `measure` by brute force, closest first.

    A query's own row is left out by index, so its duplicates still count as neighbours; ties go
    to the lower row index, so the same data always gives the same lists.
    """
    k = min(k, points.shape[0] - 1)
    if k < 1:
        raise ValueError("kNN needs at least two rows")
    rows = np.asarray(rows, dtype=np.int64)
    indices = np.empty((len(rows), k), dtype=np.int32)
    sims = np.empty((len(rows), k), dtype=np.float32)
    for part, block in score_blocks(points, rows, measure):
        kth = kth_largest(block, k)
        above, tied = block > kth, block == kth
        room = k - above.sum(axis=1, keepdims=True)
        keep = above | (tied & (np.cumsum(tied, axis=1, dtype=np.int32) <= room))
        top = np.nonzero(keep)[1].reshape(-1, k)
        top_scores = np.take_along_axis(block, top, axis=1)
        order = np.argsort(-top_scores, axis=1, kind="stable")
        indices[part] = np.take_along_axis(top, order, axis=1)
        sims[part] = np.take_along_axis(top_scores, order, axis=1)
    return Neighbours(indices, sims)


def sample_rows(n: int, size: int) -> np.ndarray:
    """A seeded sample of `size` distinct row indices in increasing order (all rows if fewer)."""
    return np.sort(np.random.default_rng(0).choice(n, size=min(n, size), replace=False))
