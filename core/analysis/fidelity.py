"""Fidelity and size trade-offs of truncated embeddings: what each size keeps, costs and takes."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.analysis import knn as knn_module
from core.analysis.indexes import (
    build_indexes,
    int8_codes,
    int8_decoded,
    int8_ranges,
    sign_bits,
    single_query_ms,
)
from core.analysis.knn import (
    Neighbours,
    exact_neighbours,
    knn,
    knn_recall,
    kth_largest,
    sample_rows,
    score_blocks,
)
from core.analysis.measures import paired_scores, prefix_points
from core.analysis.ordering import ORDERINGS, order_dimensions
from core.runtime.machine import cores, on_threads
from core.runtime.units import fraction_text, size_text

PRECISION_BITS = {"float32": 32, "float16": 16, "int8": 8, "binary": 1}
CORPUS_SCALES = {"1m": 1_000_000, "100m": 100_000_000}
QUANTIZED_PRECISIONS = ("int8", "binary")
TIMED_PRECISIONS = ("float32", *QUANTIZED_PRECISIONS)
# the search time per precision; latency_ms (float32) keeps the name older tables use
LATENCY_COLUMNS = {
    "float32": "latency_ms",
    "int8": "latency_int8_ms",
    "binary": "latency_binary_ms",
}
_RECALL_TOLERANCE = 1e-9


def quantizer(
    points: np.ndarray, precision: str, measure: str = "cosine"
) -> Callable[[np.ndarray], np.ndarray]:
    """What search sees of points (measures.prefix_points) stored at `precision`, coded as
    sentence-transformers' `quantize_embeddings` codes them (core.analysis.indexes), as a
    function of the points to store: apply it to `points` and to any queries, which are then
    coded alike.

    int8: codes with per-dimension ranges calibrated on `points`, decoded to bucket centres
    (and renormalised for cosine). binary: packed sign bits ("ubinary") unpacked to ±1, whose dot
    product is dim - 2 × Hamming distance; all codes have one length, so every measure ranks them
    exactly like Hamming distance.
    """
    if precision == "int8":
        ranges = int8_ranges(points)
        return lambda stored: int8_decoded(int8_codes(stored, ranges), ranges, measure)
    if precision == "binary":

        def binary(stored: np.ndarray) -> np.ndarray:
            bits = np.unpackbits(sign_bits(stored), axis=1, count=stored.shape[1])
            return bits.astype(np.float32) * 2 - 1

        return binary
    raise ValueError(f"unknown precision {precision!r}; choose from {list(QUANTIZED_PRECISIONS)}")


def quantized_vectors(points: np.ndarray, precision: str, measure: str = "cosine") -> np.ndarray:
    """`points` as stored at `precision` (quantizer, calibrated on them)."""
    return quantizer(points, precision, measure)(points)


def _expected_recall(
    stored: np.ndarray, rows: np.ndarray, reference: np.ndarray, measure: str = "cosine"
) -> float:
    """Mean share of `reference` (neighbours of `rows`) among each row's top k by `measure` over
    `stored`, expected under random tie-breaking: quantized codes tie often, and picking the
    lowest indices among ties would reward or punish the corpus order. The rows are split
    between the cores (core.runtime.machine.on_threads): the selection and the counts are numpy
    passes on one core each, which would leave the others idle."""
    k = reference.shape[1]
    hits = np.empty(len(rows))
    workers = max(1, min(cores(), len(rows)))
    shares = np.array_split(np.arange(len(rows)), workers)

    def count(worker: int) -> None:
        mine = shares[worker]
        for part, block in score_blocks(stored, rows[mine], measure):
            kth = kth_largest(block, k)
            ref = np.take_along_axis(block, reference[mine[part]], axis=1)
            above = (block > kth).sum(axis=1)
            tied = (block == kth).sum(axis=1)
            found = (ref > kth).sum(axis=1) + (k - above) * (ref == kth).sum(axis=1) / tied
            hits[mine[part]] = found

    on_threads(count, workers)
    return float(hits.mean() / k)


def _mean_recall(reference: Neighbours, candidate: Neighbours) -> float:
    if candidate.indices.shape != reference.indices.shape:
        raise ValueError(
            f"neighbour lists differ in shape: {reference.indices.shape} at full size, "
            f"{candidate.indices.shape} truncated (same k and rows needed)"
        )
    return float(knn_recall(reference.indices, candidate.indices).mean())


def _pair_indices(n: int, pairs: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """All pairs i < j when there are at most `pairs` of them, else a seeded sample of distinct
    ones, drawn as ranks in the row-major upper triangle and unranked exactly."""
    total = n * (n - 1) // 2
    if total <= pairs:
        return np.triu_indices(n, 1)
    ranks = np.sort(np.random.default_rng(seed).choice(total, size=pairs, replace=False))
    rows = np.arange(n - 1, dtype=np.int64)
    starts = rows * n - rows * (rows + 1) // 2
    i = np.searchsorted(starts, ranks, side="right") - 1
    return i, ranks - starts[i] + i + 1


def similarity_spearman(
    vectors: np.ndarray, dim: int, *, pairs: int = 20_000, seed: int = 0, measure: str = "cosine"
) -> float:
    """Spearman rank correlation of pairwise scores under `measure` at full size and at `dim`.

    Uses every pair i < j when there are at most `pairs`, else a seeded random sample of distinct
    pairs; NaN when either side has no spread (e.g. every similarity equal).
    """
    n = vectors.shape[0]
    if n < 2:
        raise ValueError("Spearman of similarities needs at least two rows")
    if pairs < 1:
        raise ValueError(f"pairs must be at least 1, got {pairs}")
    i, j = _pair_indices(n, pairs, seed)
    full = prefix_points(vectors, vectors.shape[1], measure)
    small = prefix_points(vectors, dim, measure)
    reference = paired_scores(full[i], full[j], measure)
    candidate = paired_scores(small[i], small[j], measure)
    if np.ptp(reference) == 0 or np.ptp(candidate) == 0:
        return math.nan
    from scipy.stats import spearmanr  # imported when first used: not on the map's path

    return float(spearmanr(reference, candidate).statistic)


def partition_ari(reference_labels: np.ndarray, labels: np.ndarray) -> float:
    """Adjusted Rand index of a partition against the reference (1 = same, ~0 = chance)."""
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(reference_labels, labels))


def vector_bytes(dim: int, precision: str = "float32") -> int:
    """Bytes to store one `dim`-dimensional vector: 4d, 2d, d or ceil(d/8) (binary)."""
    if precision not in PRECISION_BITS:
        raise ValueError(f"unknown precision {precision!r}; choose from {list(PRECISION_BITS)}")
    return -(-dim * PRECISION_BITS[precision] // 8)


def storage_table(dims: Iterable[int], n_docs: int) -> pd.DataFrame:
    """Bytes per vector and in total (this corpus, 1M and 100M docs) per dim and precision.

    One row per (dim, precision), largest dim first, precisions from widest to narrowest.
    """
    rows = []
    for dim in sorted(set(dims), reverse=True):
        for precision in PRECISION_BITS:
            per_vector = vector_bytes(dim, precision)
            rows.append(
                {
                    "dim": dim,
                    "precision": precision,
                    "bytes_per_vector": per_vector,
                    "bytes_corpus": per_vector * n_docs,
                    **{f"bytes_{name}": per_vector * size for name, size in CORPUS_SCALES.items()},
                }
            )
    return pd.DataFrame(rows)


def _latencies(points: np.ndarray, k: int, measure: str, *, queries: int = 10) -> dict:
    """Median wall time in milliseconds of one exact top-k query among `points`
    (measures.prefix_points) stored at each of TIMED_PRECISIONS, searched with that precision's
    own kernel (core.analysis.indexes, as the Retrieval page times it) on one core: the time a
    person waits for one search, not batched throughput. Each of `queries` seeded corpus rows is
    searched on its own, left out of its results, and timed 3 times after an untimed run."""
    n = points.shape[0]
    picked = np.random.default_rng(0).choice(n, size=min(queries, n), replace=False)
    found = {}
    for precision, index in build_indexes(points, TIMED_PRECISIONS, measure).items():
        asked = index.prepare(points[picked])
        timings = single_query_ms(index, asked, k, exclude=picked, singles=len(picked), repeats=3)
        found[LATENCY_COLUMNS[precision]] = float(np.median(timings))
    return found


def _float_recalls(
    vectors: np.ndarray,
    dims: Sequence[int],
    k: int,
    neighbours: Mapping[int, Neighbours] | None,
    queries: np.ndarray,
    measure: str,
) -> tuple[dict[int, float], np.ndarray, int]:
    """Float32 recall@k per dim against an exact full-size reference (`dims[0]` is the full size),
    the reference neighbours of `queries`, and how many queries the recalls average over.

    Up to `EXACT_KNN_LIMIT` rows every row is a query (`knn` is exact there; given lists are
    reused); beyond it `knn` turns approximate, so only `queries` are searched, by brute force.
    """
    full = dims[0]

    def points(dim: int) -> np.ndarray:
        return prefix_points(vectors, dim, measure)

    if vectors.shape[0] > knn_module.EXACT_KNN_LIMIT:
        found = {dim: exact_neighbours(points(dim), queries, k, measure) for dim in dims}
        reference, averaged_over = found[full].indices, len(queries)
    else:
        given = neighbours or {}
        found = {dim: given.get(dim) or knn(points(dim), k, measure) for dim in dims}
        reference, averaged_over = found[full].indices[queries], vectors.shape[0]
    return {dim: _mean_recall(found[full], found[dim]) for dim in dims}, reference, averaged_over


def _quantized_recalls(
    points: np.ndarray, queries: np.ndarray, reference: np.ndarray, measure: str
) -> dict[str, float]:
    """recall_<precision> of `queries` searched among the points stored at each quantized
    precision, against their float32 full-size `reference` neighbours."""
    return {
        f"recall_{p}": _expected_recall(
            quantized_vectors(points, p, measure), queries, reference, measure
        )
        for p in QUANTIZED_PRECISIONS
    }


def fidelity_table(
    vectors: np.ndarray,
    dims: Sequence[int],
    *,
    k: int = 10,
    communities: Mapping[int, np.ndarray] | None = None,
    neighbours: Mapping[int, Neighbours] | None = None,
    pairs: int = 20_000,
    latency: bool = True,
    quantized: bool = True,
    recall_sample: int = 2_000,
    measure: str = "cosine",
) -> pd.DataFrame:
    """Fidelity, storage and search time per size, largest first; the full size always included.

    Every score is under `measure` (measures.MEASURES). Columns: dim; k (neighbours actually
    used); recall_at_k of float32 vectors against the exact
    full-size kNN, averaged over recall_queries rows (all rows up to `EXACT_KNN_LIMIT`, where
    `neighbours` computed per dim with the same k may be passed to skip recomputing; beyond it a
    seeded sample of `recall_sample` rows searched exactly, and `neighbours` is ignored);
    recall_int8 and recall_binary of vectors stored at that precision, against the same float32
    full-size reference, over quantized_queries sampled rows (NaN and 0 when `quantized` is
    False); spearman; ari (vs the full-size communities; NaN without `communities` or for a dim
    missing from it); bytes_<precision> per vector; latency_ms, latency_int8_ms and
    latency_binary_ms: the median time of one top-k query searched with each precision's own
    kernel (NaN when `latency` is False).
    """
    full = vectors.shape[1]
    ordered = sorted(set(dims) | {full}, reverse=True)
    if ordered[-1] < 1 or ordered[0] > full:
        raise ValueError(f"dims must be in 1..{full}, got {list(dims)}")
    if communities is not None and full not in communities:
        raise ValueError(f"communities must include the full size ({full} dims)")
    if recall_sample < 1:
        raise ValueError(f"recall_sample must be at least 1, got {recall_sample}")
    queries = sample_rows(vectors.shape[0], recall_sample)
    recalls, reference, recall_queries = _float_recalls(
        vectors, ordered, k, neighbours, queries, measure
    )
    k = reference.shape[1]
    rows = []
    for dim in ordered:
        labels = None if communities is None else communities.get(dim)
        points = prefix_points(vectors, dim, measure)
        rows.append(
            {
                "dim": dim,
                "k": k,
                "recall_at_k": recalls[dim],
                "recall_queries": recall_queries,
                **(
                    _quantized_recalls(points, queries, reference, measure)
                    if quantized
                    else {f"recall_{p}": math.nan for p in QUANTIZED_PRECISIONS}
                ),
                "quantized_queries": len(queries) if quantized else 0,
                "spearman": similarity_spearman(vectors, dim, pairs=pairs, measure=measure),
                "ari": math.nan if labels is None else partition_ari(communities[full], labels),
                **{f"bytes_{p}": vector_bytes(dim, p) for p in PRECISION_BITS},
                **(
                    _latencies(points, k, measure)
                    if latency
                    else dict.fromkeys(LATENCY_COLUMNS.values(), math.nan)
                ),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Recommendation:
    """The smallest size that keeps enough of the full-size neighbours, in numbers and words."""

    dim: int
    recall: float
    full_dim: int
    saving_share: float  # share of float32 storage saved relative to the full size
    sentence: str


def _floor_percent(share: float) -> str:
    return f"{math.floor(share * 100 + _RECALL_TOLERANCE):d}%"


def recommend_dimension(table: pd.DataFrame, *, min_recall_share: float = 0.9) -> Recommendation:
    """The smallest dim whose recall@k is at least `min_recall_share` of the full-size recall.

    `table` is one ordering's `fidelity_table`; recall percentages in the sentence are rounded
    down so a size never looks better than it is.
    """
    if not 0 < min_recall_share <= 1:
        raise ValueError(f"min_recall_share must be in (0, 1], got {min_recall_share}")
    if table["dim"].duplicated().any():
        raise ValueError("recommend_dimension takes one ordering at a time (dims repeat)")
    rows = table.sort_values("dim", ascending=False).reset_index(drop=True)
    full_dim = int(rows["dim"].iloc[0])
    full_recall = float(rows["recall_at_k"].iloc[0])
    k = int(rows["k"].iloc[0])
    threshold = min_recall_share * full_recall - _RECALL_TOLERANCE
    qualifying = rows[rows["recall_at_k"] >= threshold]
    best = qualifying.iloc[-1]
    dim, recall = int(best["dim"]), float(best["recall_at_k"])
    full_bytes, dim_bytes = vector_bytes(full_dim), vector_bytes(dim)
    saving = 1 - dim_bytes / full_bytes
    asked = _floor_percent(min_recall_share)
    if len(rows) == 1:
        sentence = (
            f"Only the full size ({full_dim} dims) was measured; add smaller sizes to compare."
        )
    elif dim == full_dim:
        runner_up = rows.iloc[1:].sort_values(["recall_at_k", "dim"], ascending=[False, True])
        best_dim, best_recall = int(runner_up["dim"].iloc[0]), runner_up["recall_at_k"].iloc[0]
        sentence = (
            f"No size below {full_dim} dims keeps at least {asked} of full-size {k}-NN neighbours "
            f"(best: {best_dim} dims with {_floor_percent(best_recall / full_recall)}); "
            "keep the full size."
        )
    else:
        sentence = (
            f"{dim} dims keep {_floor_percent(recall / full_recall)} of full-size {k}-NN "
            f"neighbours (at least {asked} asked) and need {fraction_text(dim_bytes, full_bytes)} "
            f"of the bytes of {full_dim} dims: {size_text(dim_bytes)} instead of "
            f"{size_text(full_bytes)} per vector as float32."
        )
    return Recommendation(dim, recall, full_dim, saving, sentence)


def compare_orderings(
    vectors: np.ndarray,
    dims: Sequence[int],
    *,
    k: int = 10,
    min_recall_share: float = 0.9,
    pairs: int = 20_000,
    latency: bool = False,
    measure: str = "cosine",
) -> tuple[pd.DataFrame, dict[str, Recommendation]]:
    """Fidelity tables for native and PCA ordering stacked with an "ordering" column, and the
    recommended size for each ordering."""
    tables, recommendations = [], {}
    for ordering in ORDERINGS:
        ordered = order_dimensions(vectors, ordering).vectors
        table = fidelity_table(
            ordered, dims, k=k, pairs=pairs, latency=latency, quantized=False, measure=measure
        )
        recommendations[ordering] = recommend_dimension(table, min_recall_share=min_recall_share)
        tables.append(table.assign(ordering=ordering))
    combined = pd.concat(tables, ignore_index=True)
    return combined[["ordering", *tables[0].columns.drop("ordering")]], recommendations
