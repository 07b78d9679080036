"""Search one query at a chosen size against the full size: the exact top k, how its results
moved, its recall@k, how long it took; and over a seeded set of corpus documents as queries,
the measured recall-vs-size and query-time-vs-size curve (optionally of an HNSW index too)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType

import numpy as np
import pandas as pd

from core.analysis.knn import knn_recall
from core.analysis.measures import MEASURES, prefix_points, scores, shown_values
from core.analysis.top_k import best_rows
from core.runtime.limits import max_queries

Clock = Callable[[], float]
# faiss HNSW settings: graph degree, build and search beam widths
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 64


@dataclass(frozen=True)
class Hits:
    """One query's results, best first: stored rows and their scores (higher = closer)."""

    rows: np.ndarray  # (k,) int64
    scores: np.ndarray  # (k,) float32


@dataclass(frozen=True)
class TimedHits:
    """A search's results and its median wall time in milliseconds."""

    hits: Hits
    ms: float


def load_faiss() -> ModuleType:
    """faiss (one thread per core), imported so that its own OpenMP runtime lets idle threads
    sleep rather than spin unless OMP_WAIT_POLICY says otherwise: with other processes on the
    cores, spinning threads slow its flat search several times over, while sleeping ones cost
    nothing measurable on an idle machine. The runtime reads the variable once, on import; it is
    then restored, so runtimes loaded later (torch's, numba's) are left as they were."""
    if "faiss" not in sys.modules:
        previous = os.environ.get("OMP_WAIT_POLICY")
        os.environ["OMP_WAIT_POLICY"] = previous or "PASSIVE"
        try:
            import faiss  # noqa: F401
        finally:
            if previous is None:
                del os.environ["OMP_WAIT_POLICY"]
    return sys.modules["faiss"]


def top_k(
    stored: np.ndarray,
    query: np.ndarray,
    k: int,
    measure: str = "cosine",
    exclude: int | None = None,
) -> Hits:
    """The exact k best rows of `stored` for one `query` point (both from
    measures.prefix_points), `exclude` (the query's own row) left out; equal scores go to the
    lower row, as in knn.exact_neighbours."""
    found = scores(np.asarray(query, dtype=np.float32)[None, :], stored, measure)[0]
    best = best_rows(found, k, exclude)
    return Hits(best, found[best].astype(np.float32))


def timed_top_k(
    stored: np.ndarray,
    query: np.ndarray,
    k: int,
    measure: str = "cosine",
    *,
    exclude: int | None = None,
    repeats: int = 5,
    clock: Clock = time.perf_counter,
) -> TimedHits:
    """top_k and the median over `repeats` runs of its wall time (after one untimed warm-up):
    what one person waits for one exact search, the stored points already prepared."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    hits = top_k(stored, query, k, measure, exclude)
    timings = []
    for _ in range(repeats):
        start = clock()
        top_k(stored, query, k, measure, exclude)
        timings.append(clock() - start)
    return TimedHits(hits, float(np.median(timings)) * 1000)


def search_at(
    vectors: np.ndarray, query: np.ndarray, dim: int, k: int, measure: str = "cosine", **timing
) -> TimedHits:
    """One full-size query vector searched, timed, among the corpus `vectors` at size `dim`
    under `measure` (both truncated as the measure compares them); `timing` (exclude, repeats,
    clock) goes to timed_top_k."""
    stored = prefix_points(vectors, dim, measure)
    point = prefix_points(np.asarray(query, dtype=np.float32)[None, :], dim, measure)[0]
    return timed_top_k(stored, point, k, measure, **timing)


def rank_changes(small: Sequence[int], full: Sequence[int]) -> pd.DataFrame:
    """One line per document in either result list: its row, rank (1 = best) at this size and
    at full size (<NA> when not in that list), move = full rank − rank here (positive: ranked
    higher at this size; <NA> unless in both) and whether both lists have it. Lines follow the
    size's list, then the full-size documents it lacks."""
    here = {int(r): i + 1 for i, r in enumerate(small)}
    there = {int(r): i + 1 for i, r in enumerate(full)}
    rows = list(here) + [r for r in there if r not in here]
    table = pd.DataFrame(
        {
            "row": rows,
            "rank": pd.array([here.get(r) for r in rows], dtype="Int64"),
            "full_rank": pd.array([there.get(r) for r in rows], dtype="Int64"),
        }
    )
    table["move"] = table["full_rank"] - table["rank"]
    table["in_both"] = table["move"].notna().to_numpy(dtype=bool)
    return table


def move_label(rank: object, full_rank: object) -> str:
    """How a document's rank changed at the smaller size: "↑2", "↓3", "=", "new" (not in the
    full-size top k) or "dropped" (not in this size's top k)."""
    if pd.isna(rank):
        return "dropped"
    if pd.isna(full_rank):
        return "new"
    move = int(full_rank) - int(rank)
    return "=" if move == 0 else f"↑{move}" if move > 0 else f"↓{-move}"


def results_table(
    hits: Hits,
    changes: pd.DataFrame,
    ids: Sequence[str],
    texts: Sequence[str],
    measure: str,
    *,
    excerpt: int = 200,
) -> pd.DataFrame:
    """One result list to show: rank, id, the measure's value, the move (move_label), whether
    the other list has it too, and the start of the text. `changes` is rank_changes of the two
    lists; `hits` is either of them."""
    lines = changes.set_index("row").loc[hits.rows]
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(hits.rows) + 1),
            "id": [ids[r] for r in hits.rows],
            MEASURES[measure].value_name: shown_values(hits.scores, measure).round(3),
            "move": [
                move_label(a, b) for a, b in zip(lines["rank"], lines["full_rank"], strict=True)
            ],
            "in both": lines["in_both"].to_numpy(),
            "text": [texts[r][:excerpt] for r in hits.rows],
        }
    )


def _hnsw_index(points: np.ndarray, measure: str):
    """A faiss HNSW index of `points`, built on one thread so the same points give the same
    graph (faiss's threaded insertion order varies)."""
    faiss = load_faiss()
    metric = faiss.METRIC_L2 if measure == "euclidean" else faiss.METRIC_INNER_PRODUCT
    index = faiss.IndexHNSWFlat(points.shape[1], HNSW_M, metric)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    index.hnsw.efSearch = HNSW_EF_SEARCH
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        index.add(points)
    finally:
        faiss.omp_set_num_threads(threads)
    return index


def _hnsw_search(index, point: np.ndarray, k: int, exclude: int) -> np.ndarray:
    """The index's k best rows for one point, its own row left out; -1 (which matches no row)
    where the index found fewer."""
    _, found = index.search(point[None, :], k + 1)
    return found[0][found[0] != exclude][:k]


def query_set_table(
    vectors: np.ndarray,
    dims: Sequence[int],
    k: int = 10,
    measure: str = "cosine",
    *,
    queries: int = 200,
    seed: int = 0,
    approximate: bool = False,
    clock: Clock = time.perf_counter,
) -> pd.DataFrame:
    """Per size (largest first, full size always included), with `queries` seeded random corpus
    documents as queries (at most the corpus and max_queries(); each left out of its own
    results): mean recall@k of the exact top k
    against the exact full-size top k, and the median time of one exact query (each query timed
    once, after an untimed run of the same search).

    With `approximate`, also recall_hnsw and hnsw_ms: a faiss HNSW index per size (M = 32,
    efSearch = 64) searched for the same queries, its recall against the exact full-size top k
    (so it counts both the truncation's and the index's misses), and its median query time.
    """
    n, full = vectors.shape
    ordered = sorted(set(dims) | {full}, reverse=True)
    if ordered[-1] < 1 or ordered[0] > full:
        raise ValueError(f"dims must be in 1..{full}, got {list(dims)}")
    if n < 2:
        raise ValueError("a query set needs at least two documents")
    size = min(max(queries, 1), n, max_queries())
    picked = np.random.default_rng(seed).choice(n, size=size, replace=False)
    k = min(k, n - 1)
    reference = np.empty((0, k), dtype=np.int64)
    records = []
    for dim in ordered:
        points = prefix_points(vectors, dim, measure)
        exact = [
            timed_top_k(points, points[q], k, measure, exclude=int(q), repeats=1, clock=clock)
            for q in picked
        ]
        found = np.stack([t.hits.rows for t in exact])
        if dim == full:
            reference = found
        record = {
            "dim": dim,
            "k": k,
            "queries": len(picked),
            "recall_at_k": float(knn_recall(reference, found).mean()),
            "query_ms": float(np.median([t.ms for t in exact])),
        }
        if approximate:
            record.update(_hnsw_measures(points, picked, reference, k, measure, clock))
        records.append(record)
    return pd.DataFrame(records)


def _hnsw_measures(
    points: np.ndarray,
    picked: np.ndarray,
    reference: np.ndarray,
    k: int,
    measure: str,
    clock: Clock,
) -> dict[str, float]:
    """recall_hnsw against the exact full-size `reference` and the median hnsw_ms per query."""
    index = _hnsw_index(points, measure)
    _hnsw_search(index, points[picked[0]], k, int(picked[0]))
    found, timings = [], []
    for q in picked:
        start = clock()
        found.append(_hnsw_search(index, points[q], k, int(q)))
        timings.append(clock() - start)
    return {
        "recall_hnsw": float(knn_recall(reference, np.stack(found)).mean()),
        "hnsw_ms": float(np.median(timings)) * 1000,
    }
