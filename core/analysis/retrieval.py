"""Retrieval quality on queries with known answers, per size × precision: exact search of the
corpus stored as float32, int8, binary and binary rescored with float32, the standard metrics
(recall@k, nDCG@10, MRR@10, hit@k) with bootstrap intervals over queries, the agreement with the
full-size results beside them, the Pareto frontier of quality against bytes, and the smallest
configuration that keeps a chosen share of the full size's quality."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.analysis.fidelity import CORPUS_SCALES, vector_bytes
from core.analysis.indexes import (
    PRECISIONS,
    Index,
    Speed,
    build_indexes,
    kept_for_rescoring,
    single_query_ms,
    speed,
    timed_search,
)
from core.analysis.knn import knn_recall
from core.analysis.measures import prefix_points
from core.runtime.units import fraction_text, size_text

METRICS = ("recall_at_k", "ndcg_at_10", "mrr_at_10", "hit_at_k")
METRIC_NAMES = {
    "recall_at_k": "recall@{k}",
    "ndcg_at_10": "nDCG@10",
    "mrr_at_10": "MRR@10",
    "hit_at_k": "hit@{k}",
    "agreement_at_k": "agreement@{k}",
}
CUTOFF = 10  # nDCG and MRR are read at rank 10, as in MTEB and BEIR
FEW_QUERIES = 100  # below this many queries the intervals are wide: the page warns
BOOTSTRAP_ROUNDS = 1000
TIMED_QUERIES, TIMED_REPEATS = 10, 5  # single queries timed, runs of each


@dataclass(frozen=True)
class Judgements:
    """Which corpus rows answer which query, as flat (query, row, grade) triples with grade > 0,
    and per query a corpus row left out of its results (-1: none; a document asked as a query
    is not its own answer)."""

    queries: int
    query: np.ndarray  # (pairs,) int64
    row: np.ndarray  # (pairs,) int64
    grade: np.ndarray  # (pairs,) float64, > 0
    exclude: np.ndarray  # (queries,) int64

    def __post_init__(self) -> None:
        if not (len(self.query) == len(self.row) == len(self.grade)):
            raise ValueError("query, row and grade must have one entry per pair")
        if len(self.exclude) != self.queries:
            raise ValueError("exclude needs one entry per query")
        if len(self.grade) and self.grade.min() <= 0:
            raise ValueError("grades must be positive (leave unjudged rows out)")
        counts = np.bincount(self.query, minlength=self.queries)
        if self.queries == 0 or counts.min() == 0:
            raise ValueError("every query needs at least one relevant row")

    @classmethod
    def build(cls, pairs: Sequence[tuple[int, int, float]], queries: int, exclude=None):
        """From (query, row, grade) triples; a pair given twice keeps its highest grade."""
        best: dict[tuple[int, int], float] = {}
        for q, r, g in pairs:
            best[(q, r)] = max(best.get((q, r), 0.0), float(g))
        keys = sorted(best)
        return cls(
            queries,
            np.array([q for q, _ in keys], dtype=np.int64),
            np.array([r for _, r in keys], dtype=np.int64),
            np.array([best[key] for key in keys], dtype=np.float64),
            np.full(queries, -1, np.int64) if exclude is None else np.asarray(exclude, np.int64),
        )

    def grades_at(self, ranked: np.ndarray, n_rows: int) -> np.ndarray:
        """The grade of every ranked row for its query (0 when unjudged or -1)."""
        keys = self.query * n_rows + self.row  # sorted: built in (query, row) order
        order = np.argsort(keys, kind="stable")
        keys, grades = keys[order], self.grade[order]
        wanted = np.arange(len(ranked))[:, None] * n_rows + ranked
        at = np.clip(np.searchsorted(keys, wanted), 0, max(len(keys) - 1, 0))
        found = (keys[at] == wanted) & (ranked >= 0)
        return np.where(found, grades[at], 0.0)


def label_judgements(labels: Sequence[str], queries: int = 1000, seed: int = 0) -> Judgements:
    """Labels as answers: a seeded sample of documents are the queries, and every other
    document with the query's label is relevant (grade 1). This measures how well each size
    keeps label neighbourhoods, not search quality on real questions."""
    values = np.asarray([str(v) for v in labels])
    rng = np.random.default_rng(seed)
    sizes = pd.Series(values).value_counts()
    usable = np.flatnonzero(np.isin(values, sizes.index[sizes >= 2]) & (values != ""))
    if usable.size == 0:
        raise ValueError("no label is shared by two documents")
    picked = np.sort(rng.choice(usable, size=min(queries, usable.size), replace=False))
    members = {label: np.flatnonzero(values == label) for label in np.unique(values[picked])}
    query, row = [], []
    for q, doc in enumerate(picked):
        same = members[values[doc]]
        same = same[same != doc]
        query.append(np.full(same.size, q, np.int64))
        row.append(same.astype(np.int64))
    query, row = np.concatenate(query), np.concatenate(row)
    return Judgements(len(picked), query, row, np.ones(len(row)), picked.astype(np.int64))


# ---------------------------------------------------------------- metrics


def query_metrics(grades: np.ndarray, judgements: Judgements, k: int) -> dict[str, np.ndarray]:
    """Per-query recall@k, nDCG@10 (linear gain grade / log2(rank + 1), ideal order from every
    judged row), MRR@10 and hit@k of ranked lists whose rows' grades are `grades`
    (Judgements.grades_at), best first."""
    n_relevant = np.bincount(judgements.query, minlength=judgements.queries)
    found = grades > 0
    discounts = 1 / np.log2(np.arange(2, CUTOFF + 2))
    top = grades[:, :CUTOFF]
    dcg = top @ discounts[: top.shape[1]]
    first = np.argmax(found[:, :CUTOFF], axis=1)
    reciprocal = np.where(found[:, :CUTOFF].any(axis=1), 1 / (first + 1), 0.0)
    return {
        "recall_at_k": found[:, :k].sum(axis=1) / n_relevant,
        "ndcg_at_10": dcg / _ideal_dcg(judgements, discounts),
        "mrr_at_10": reciprocal,
        "hit_at_k": found[:, :k].any(axis=1).astype(np.float64),
    }


def _ideal_dcg(judgements: Judgements, discounts: np.ndarray) -> np.ndarray:
    """Each query's best possible DCG@10: its grades, highest first."""
    order = np.lexsort((-judgements.grade, judgements.query))
    query, grade = judgements.query[order], judgements.grade[order]
    starts = np.searchsorted(query, query, side="left")
    rank = np.arange(len(query)) - starts
    kept = rank < CUTOFF
    gains = grade[kept] * discounts[rank[kept]]
    return np.bincount(query[kept], weights=gains, minlength=judgements.queries)


def bootstrap_weights(queries: int, rounds: int = BOOTSTRAP_ROUNDS, seed: int = 0) -> np.ndarray:
    """(rounds × queries) counts of each query in each bootstrap resample (queries drawn with
    replacement), seeded: the same resamples serve every configuration, so their differences
    and ratios get paired intervals."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, queries, size=(rounds, queries))
    weights = np.zeros((rounds, queries))
    np.add.at(weights, (np.repeat(np.arange(rounds), queries), draws.ravel()), 1)
    return weights


def interval(resampled: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The percentile interval of resampled statistics (NaN ones left out)."""
    values = resampled[np.isfinite(resampled)]
    if values.size == 0:
        return math.nan, math.nan
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


# ---------------------------------------------------------------- search


def memory_bytes(dim: int, precision: str) -> int:
    """Bytes per vector an exact index holds in memory: binary+rescore searches the binary
    codes in memory and reads the few candidates' float32 vectors from memory or disk."""
    stored = "binary" if precision == "binary+rescore" else precision
    return vector_bytes(dim, stored)


def disk_bytes(dim: int, precision: str) -> int:
    """Bytes per vector kept in all: binary+rescore keeps the float32 vectors beside the bits."""
    extra = vector_bytes(dim, "float32") if precision == "binary+rescore" else 0
    return memory_bytes(dim, precision) + extra


def search_size(
    corpus: np.ndarray,
    queries: np.ndarray,
    precisions: Sequence[str],
    depth: int,
    measure: str,
    *,
    exclude: np.ndarray | None,
    latency: bool = True,
) -> dict[str, tuple[Index, np.ndarray, Speed | None]]:
    """Per precision at one size (`corpus`, `queries`: float32 points of that size), its index
    (core.analysis.indexes), every query's ranked list from one batch search with that index,
    and, with `latency`, how fast it answers: single queries timed with the same kernel, and
    the batch's throughput."""
    found: dict[str, tuple[Index, np.ndarray, Speed | None]] = {}
    for precision, index in build_indexes(corpus, precisions, measure).items():
        asked = index.prepare(queries)
        if latency:
            lists, per_second = timed_search(index, asked, depth, exclude=exclude)
            single = single_query_ms(
                index, asked, depth, exclude=exclude, singles=TIMED_QUERIES, repeats=TIMED_REPEATS
            )
            found[precision] = index, lists, speed(single, per_second, len(queries))
        else:
            found[precision] = index, index.search(asked, depth, exclude), None
    return found


# ---------------------------------------------------------------- the table


def retrieval_table(
    corpus: np.ndarray,
    queries: np.ndarray,
    judgements: Judgements,
    dims: Sequence[int],
    *,
    k: int = 10,
    measure: str = "cosine",
    precisions: Sequence[str] = PRECISIONS,
    latency: bool = True,
    rounds: int = BOOTSTRAP_ROUNDS,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per size (largest first, the full size always included) × precision: k, the mean
    of each metric (METRICS) over the queries with its 95% bootstrap interval (`…_low`,
    `…_high`), its share of the full-size float32 value with a paired interval (`…_share`,
    `…_share_low`, `…_share_high`), agreement_at_k (share of the full-size float32 top k
    that this configuration also returns, with its interval), bytes_per_vector (in memory),
    disk_bytes_per_vector, rescored (candidates rescored per query, 0 without rescoring), the
    speed of the precision's own kernel (core.analysis.indexes): ms_per_query and
    ms_per_query_p95 (median and 95th percentile of single queries on one core),
    queries_per_second (the quality's batch search on every core; all three NaN when `latency`
    is False), index_bytes (what the index holds in memory for this corpus),
    kept_for_rescoring_bytes and kept_for_rescoring (the float32 vectors binary+rescore needs
    beside its index, in words), kernel (in words), and queries.

    `corpus` and `queries` are full-size vectors in the same ordering; search is exact under
    `measure` at every configuration (binary codes by Hamming distance); ties are broken by a
    seeded random rank of the corpus rows. The quality and the times come from one index per
    configuration."""
    n, full = corpus.shape
    if queries.ndim != 2 or queries.shape[1] != full:
        raise ValueError(f"query vectors need {full} dimensions, got {queries.shape[1:]}")
    if queries.shape[0] != judgements.queries:
        raise ValueError(f"{judgements.queries} queries judged, {queries.shape[0]} vectors")
    ordered = sorted(set(dims) | {full}, reverse=True)
    if ordered[-1] < 1 or ordered[0] > full:
        raise ValueError(f"dims must be in 1..{full}, got {list(dims)}")
    for precision in precisions:
        if precision not in PRECISIONS:
            raise ValueError(f"unknown precision {precision!r}; choose from {list(PRECISIONS)}")
    precisions = ["float32", *[p for p in precisions if p != "float32"]]
    depth = max(k, CUTOFF)
    # the corpus is searched in a seeded random order of its rows, so that ties (frequent among
    # quantized codes) fall to random rows, not to the corpus's first ones
    order = np.random.default_rng(seed).permutation(n)
    place = np.argsort(order)
    asked = judgements.exclude
    exclude = np.where(asked >= 0, place[np.maximum(asked, 0)], -1) if (asked >= 0).any() else None
    shuffled = corpus[order]
    weights = bootstrap_weights(judgements.queries, rounds, seed)

    depth = min(depth, n - (exclude is not None))

    records, per_query, agreement, reference = [], [], [], None
    for dim in ordered:
        searched = search_size(
            prefix_points(shuffled, dim, measure),
            prefix_points(queries, dim, measure),
            precisions,
            depth,
            measure,
            exclude=exclude,
            latency=latency,
        )
        for precision, (index, found, fast) in searched.items():
            ranked = order[found]
            if reference is None:
                reference = ranked[:, :k]
            values = query_metrics(judgements.grades_at(ranked, n), judgements, k)
            per_query.append(values)
            agreement.append(knn_recall(reference, ranked[:, :k]))
            rescored = precision == "binary+rescore"
            records.append(
                {
                    "dim": dim,
                    "precision": precision,
                    "k": k,
                    "bytes_per_vector": memory_bytes(dim, precision),
                    "disk_bytes_per_vector": disk_bytes(dim, precision),
                    "rescored": index.candidates(depth, exclude is not None) if rescored else 0,
                    "ms_per_query": fast.ms_p50 if fast else math.nan,
                    "ms_per_query_p95": fast.ms_p95 if fast else math.nan,
                    "queries_per_second": fast.queries_per_second if fast else math.nan,
                    "index_bytes": index.bytes,
                    "kept_for_rescoring_bytes": index.kept_bytes if rescored else 0,
                    "kept_for_rescoring": kept_for_rescoring(index),
                    "kernel": index.kernel,
                    "queries": judgements.queries,
                }
            )
    table = pd.DataFrame(records)
    for metric in (*METRICS, "agreement_at_k"):
        matrix = np.array(
            [v[metric] for v in per_query] if metric != "agreement_at_k" else agreement
        )
        _add_metric(table, metric, matrix, weights)
    return table[_columns(table)]


def _add_metric(table: pd.DataFrame, metric: str, values: np.ndarray, weights: np.ndarray) -> None:
    """Mean, interval, share of the first row (full-size float32) and its paired interval."""
    resampled = values @ weights.T / values.shape[1]  # configurations × rounds
    means = values.mean(axis=1)
    bounds = [interval(r) for r in resampled]
    table[metric] = means
    table[f"{metric}_low"] = [b[0] for b in bounds]
    table[f"{metric}_high"] = [b[1] for b in bounds]
    if metric == "agreement_at_k":
        return
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = resampled / resampled[0]
        table[f"{metric}_share"] = means / means[0] if means[0] > 0 else math.nan
    share_bounds = [interval(s) for s in shares]
    table[f"{metric}_share_low"] = [b[0] for b in share_bounds]
    table[f"{metric}_share_high"] = [b[1] for b in share_bounds]


def _columns(table: pd.DataFrame) -> list[str]:
    first = ["dim", "precision", "k"]
    metrics = [c for m in (*METRICS, "agreement_at_k") for c in (m, f"{m}_low", f"{m}_high")]
    rest = [c for c in table.columns if c not in first and c not in metrics]
    return [*first, *metrics, *rest]


# ---------------------------------------------------------------- the decision


def pareto_front(table: pd.DataFrame, metric: str = "ndcg_at_10") -> np.ndarray:
    """Which rows no other row beats: none stores fewer or equal bytes per vector with a higher
    or equal `metric`, better in one of the two."""
    size = table["bytes_per_vector"].to_numpy()
    value = table[metric].to_numpy()
    beaten = (
        (size[None, :] <= size[:, None])
        & (value[None, :] >= value[:, None])
        & ((size[None, :] < size[:, None]) | (value[None, :] > value[:, None]))
    )
    return ~beaten.any(axis=1)


@dataclass(frozen=True)
class Recommended:
    """The smallest configuration that keeps enough of the full size's quality."""

    dim: int
    precision: str
    metric: str
    share: float
    share_low: float
    share_high: float
    bytes_per_vector: int
    full_bytes: int
    storage: dict[str, int]  # corpus, 1m, 100m: bytes an exact index holds in memory
    sentence: str


def metric_label(metric: str, k: int) -> str:
    return METRIC_NAMES[metric].format(k=k)


def recommend(
    table: pd.DataFrame, *, metric: str = "ndcg_at_10", keep: float = 0.95, n_docs: int
) -> Recommended:
    """The configuration with the fewest bytes per vector (ties: the better `metric`) whose mean
    `metric` is at least `keep` of the full-size float32 value, and a sentence saying what it
    keeps, with its interval, and what it costs at this corpus's size, 1M and 100M documents.
    When the full size finds no answer at all, the full size, with a sentence saying so."""
    if not 0 < keep <= 1:
        raise ValueError(f"keep must be in (0, 1], got {keep}")
    full = table.iloc[0]
    label = metric_label(metric, int(full["k"]))
    found_any = full[metric] > 0
    good = table[table[metric] >= keep * full[metric] - 1e-12] if found_any else table.iloc[:1]
    best = good.sort_values(["bytes_per_vector", metric], ascending=[True, False]).iloc[0]
    dim, precision = int(best["dim"]), str(best["precision"])
    per_vector, full_bytes = int(best["bytes_per_vector"]), int(full["bytes_per_vector"])
    storage = {"corpus": per_vector * n_docs} | {
        name: per_vector * size for name, size in CORPUS_SCALES.items()
    }
    share, low, high = (float(best[f"{metric}_share{s}"]) for s in ("", "_low", "_high"))
    rescored = f", {int(best['rescored'])} candidates rescored" if best["rescored"] else ""
    kept = disk_bytes(dim, precision) - memory_bytes(dim, precision)
    # the bytes in memory are the search's; rescoring reads other vectors, which must be kept
    where, beside = (
        (
            " in memory",
            f"; the float32 vectors of {dim} dims ({size_text(kept)} per vector) are kept on "
            "disk as well, to rescore the candidates",
        )
        if kept
        else ("", "")
    )
    if not found_any:
        sentence = (
            f"At the full size the queries find none of their answers ({label} is 0), so no "
            "size can be judged by them: check that the answers are right for this corpus."
        )
    elif dim == int(full["dim"]) and precision == "float32":
        sentence = (
            f"No smaller configuration keeps {keep:.0%} of the full size's {label}: keep "
            f"{dim} dims as float32 ({size_text(full_bytes)} per vector)."
        )
    else:
        sentence = (
            f"{dim} dims {precision}{rescored} keeps {share:.0%} [{low:.0%}–{high:.0%}] of "
            f"{label} at {fraction_text(per_vector, full_bytes)} of the bytes{where} "
            f"({size_text(per_vector)} instead of {size_text(full_bytes)} per vector): "
            f"{size_text(storage['corpus'])} for these {n_docs:,} documents, "
            f"{size_text(storage['1m'])} for 1M, {size_text(storage['100m'])} for 100M{beside}."
        )
    return Recommended(
        dim, precision, metric, share, low, high, per_vector, full_bytes, storage, sentence
    )


def disagreement(table: pd.DataFrame, metric: str = "ndcg_at_10") -> pd.Series | None:
    """The row where agreement with the full size and the share of quality kept differ most
    (a positive gap: quality kept beyond what agreement suggests); None when no share is
    known (the full size finds none of the answers)."""
    gap = table[f"{metric}_share"] - table["agreement_at_k"]
    if gap.isna().all():
        return None
    return table.assign(gap=gap).loc[gap.abs().idxmax()]


def proxy_sentence(table: pd.DataFrame, metric: str = "ndcg_at_10") -> str:
    """Where agreement with the full size misjudges quality the most, in words."""
    row = disagreement(table, metric)
    if row is None:
        label = metric_label(metric, int(table["k"].iloc[0]))
        return (
            f"At the full size the queries find none of their answers ({label} is 0), so there "
            "is no quality kept to set against agreement."
        )
    k = int(row["k"])
    kept, agreed = float(row[f"{metric}_share"]), float(row["agreement_at_k"])
    direction = "more" if kept > agreed else "less"
    return (
        f"Agreement misleads most at {int(row['dim'])} dims {row['precision']}: it returns "
        f"{agreed:.0%} of the full size's top {k}, yet keeps {kept:.0%} of its "
        f"{metric_label(metric, k)}, {direction} than agreement suggests."
    )


def storage_rows(dim: int, precision: str, n_docs: int) -> pd.DataFrame:
    """What one configuration stores at this corpus's size, 1M and 100M documents: the exact
    index in memory, and everything kept (binary+rescore keeps the float32 vectors on disk)."""
    sizes = {f"this corpus ({n_docs:,} docs)": n_docs} | {
        "1M docs": CORPUS_SCALES["1m"],
        "100M docs": CORPUS_SCALES["100m"],
    }
    return pd.DataFrame(
        {
            "documents": list(sizes),
            "index in memory": [
                size_text(memory_bytes(dim, precision) * n) for n in sizes.values()
            ],
            "stored in all": [size_text(disk_bytes(dim, precision) * n) for n in sizes.values()],
        }
    )


SPEED_COLUMNS = (
    "ms_per_query",
    "ms_per_query_p95",
    "queries_per_second",
    "index_bytes",
    "kept_for_rescoring_bytes",
    "kept_for_rescoring",
    "kernel",
)


def speed_table(table: pd.DataFrame) -> pd.DataFrame | None:
    """Search speed per size × precision as a person reads it: single-query milliseconds
    (median, 95th percentile), batch queries per second, the index's bytes in memory, what
    rescoring needs beside it, and the kernel; None for a table measured before these columns
    existed (an older project's)."""
    if not set(SPEED_COLUMNS) <= set(table.columns):
        return None
    kept = [
        f"{size_text(int(b))}: {words}" if b else words
        for b, words in zip(
            table["kept_for_rescoring_bytes"], table["kept_for_rescoring"], strict=True
        )
    ]
    return pd.DataFrame(
        {
            "dims": table["dim"],
            "precision": table["precision"],
            "ms/query (median)": table["ms_per_query"].round(3),
            "ms/query (95th pct.)": table["ms_per_query_p95"].round(3),
            "queries/s (batch)": table["queries_per_second"].round(0),
            "index in memory": table["index_bytes"].map(lambda b: size_text(int(b))),
            "kept for rescoring": kept,
            "kernel": table["kernel"],
        }
    )
