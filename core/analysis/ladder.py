"""The dimension ladder: graph, communities, keywords and kNN recall at each nested size."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.analysis import knn as knn_module
from core.analysis.communities import communities, match_communities
from core.analysis.graph import Graph, similarity_graph
from core.analysis.keywords import TermCounts
from core.analysis.knn import (
    Neighbours,
    exact_neighbours,
    knn_recall,
    sample_rows,
)
from core.analysis.measures import prefix_points
from core.runtime.errors import ExplorerError
from core.runtime.limits import check_ladder_length

MIN_DIM = 8
RECALL_SAMPLE = 2_000


@dataclass(frozen=True)
class GraphSettings:
    """Everything that decides the graph and its communities, apart from the vectors. The CLI
    and the app's sliders take k and the resolution from the same ranges, so a project written
    by either opens in the other."""

    k: int = 10
    kind: str = "knn"
    resolution: float = 1.0
    seed: int = 42
    measure: str = "cosine"  # a key of core.analysis.measures.MEASURES


K_RANGE = (2, 100)
RESOLUTION_RANGE = (0.1, 5.0)


def check_settings(settings: GraphSettings) -> GraphSettings:
    """The settings, if k and the resolution lie in their ranges."""
    if not K_RANGE[0] <= settings.k <= K_RANGE[1]:
        raise ExplorerError(
            f"k must be between {K_RANGE[0]} and {K_RANGE[1]} neighbours, not {settings.k}."
        )
    if not RESOLUTION_RANGE[0] <= settings.resolution <= RESOLUTION_RANGE[1]:
        raise ExplorerError(
            f"The resolution must be between {RESOLUTION_RANGE[0]} and {RESOLUTION_RANGE[1]}, "
            f"not {settings.resolution}."
        )
    return settings


@dataclass(frozen=True)
class DimensionView:
    """What the app shows for one truncation size."""

    dim: int
    neighbours: Neighbours
    graph: Graph
    communities: np.ndarray
    keywords: dict[int, tuple[str, ...]]
    # per document: share of its exact full-size kNN (same measure) kept at this size (NaN for
    # documents outside the exactly-searched sample, above EXACT_KNN_LIMIT)
    recall: np.ndarray

    @property
    def mean_recall(self) -> float:
        return float(np.nanmean(self.recall))

    @property
    def community_count(self) -> int:
        return int(np.unique(self.communities).size)


def default_dims(full: int, trained: Iterable[int] = (), minimum: int = MIN_DIM) -> list[int]:
    """Nested sizes from `full` down to `minimum`: powers of two and 1.5× powers of two
    (256, 192, 128, 96, …, 16, 8), plus the model's trained Matryoshka sizes; largest first."""
    dims = {full}
    p = minimum
    while p <= full:
        dims.add(p)
        if p >= 2 * minimum and p * 3 // 2 <= full:
            dims.add(p * 3 // 2)
        p *= 2
    dims.update(d for d in trained if minimum <= d <= full)
    return sorted((d for d in dims if d <= full), reverse=True)


def parse_dims(text: str) -> list[int]:
    """A user-typed ladder like "256, 128, 64" (commas, semicolons or spaces), largest first.

    Anything but a whole number of at least 1 is refused with a message naming it, and so is a
    ladder of more sizes than the server's limit.
    """
    values = set()
    for token in re.split(r"[,;\s]+", text.strip()):
        if not token:
            continue
        if not re.fullmatch(r"[0-9]{1,6}", token) or int(token) < 1:
            raise ExplorerError(
                f"Ladder: {token[:20]!r} is not a size. Type whole numbers of at least 1, "
                "separated by commas, e.g. 256, 128, 64."
            )
        values.add(int(token))
    check_ladder_length(len(values))
    return sorted(values, reverse=True)


def fit_ladder(sizes: Iterable[int], full: int) -> list[int]:
    """The sizes that exist for vectors of `full` dimensions, the full size always included; a
    ladder of more sizes than the server's limit is refused."""
    fitted = sorted({d for d in sizes if 1 <= d <= full} | {full}, reverse=True)
    check_ladder_length(len(fitted))
    return fitted


def first_k(neighbours: Neighbours, k: int) -> Neighbours:
    """The k nearest of lists computed for a larger k (each size's lists are computed once, at
    the largest k any view needs)."""
    return Neighbours(neighbours.indices[:, :k], neighbours.scores[:, :k])


@dataclass(frozen=True)
class RecallReference:
    """What every size's recall is scored against: the documents scored and their exact
    full-size k nearest neighbours. Up to EXACT_KNN_LIMIT rows kNN is exact, so every document
    is scored from its own lists; above it kNN is approximate, so a seeded sample is searched
    exactly at each size instead (an approximate list would count search errors as truncation
    loss) and the other documents get NaN."""

    rows: np.ndarray
    indices: np.ndarray
    from_lists: bool
    measure: str = "cosine"


def recall_reference(
    vectors: np.ndarray, full: Neighbours, k: int, measure: str = "cosine"
) -> RecallReference:
    """The reference for vectors whose full-size kNN lists under `measure` are `full`."""
    n = vectors.shape[0]
    if n <= knn_module.EXACT_KNN_LIMIT or measure == "dot":  # then the lists are exact
        return RecallReference(np.arange(n), full.indices[:, :k], True, measure)
    rows = sample_rows(n, RECALL_SAMPLE)
    points = prefix_points(vectors, vectors.shape[1], measure)
    exact = exact_neighbours(points, rows, k, measure)
    return RecallReference(rows, exact.indices, False, measure)


def size_recall(
    reference: RecallReference, points: np.ndarray, neighbours: Neighbours
) -> np.ndarray:
    """Per document, the share of its exact full-size kNN kept at this size (NaN if unscored);
    `points` are this size's prefix_points under the reference's measure."""
    k = reference.indices.shape[1]
    if reference.from_lists:
        found = neighbours.indices[:, :k]
    else:
        found = exact_neighbours(points, reference.rows, k, reference.measure).indices
    recall = np.full(points.shape[0], np.nan, dtype=np.float32)
    recall[reference.rows] = knn_recall(reference.indices, found)
    return recall


Partition = tuple[Graph, np.ndarray]  # a size's graph and its communities, ids not yet matched


def size_partition(neighbours: Neighbours, settings: GraphSettings) -> Partition:
    """The graph of one size's kNN lists (any k ≥ settings.k) and its Leiden communities: the
    part of a view that needs no other size, so sizes can run in parallel
    (core.schedule.distributed)."""
    graph = similarity_graph(first_k(neighbours, settings.k), settings.kind, settings.measure)
    return graph, communities(graph, resolution=settings.resolution, seed=settings.seed)


def compute_view(
    vectors: np.ndarray,
    dim: int,
    neighbours: Neighbours,
    terms: TermCounts,
    settings: GraphSettings,
    *,
    reference: RecallReference,
    larger: np.ndarray | None = None,
    partition: Partition | None = None,
) -> DimensionView:
    """One size's view from its kNN lists (any k ≥ settings.k) and its partition (found here
    unless given); community ids are matched to the next larger size's labels `larger` so
    colours stay stable down the ladder."""
    lists = first_k(neighbours, settings.k)
    graph, labels = partition or size_partition(neighbours, settings)
    if larger is not None:
        labels = match_communities(larger, labels)
    return DimensionView(
        dim=dim,
        neighbours=lists,
        graph=graph,
        communities=labels,
        keywords=terms.keywords(labels),
        recall=size_recall(reference, prefix_points(vectors, dim, settings.measure), lists),
    )


def community_summary(view: DimensionView, doc_labels: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per community: size, keywords and, when labelled, its main label and that
    label's share of the members."""
    rows = []
    for community, words in sorted(view.keywords.items()):
        members = np.flatnonzero(view.communities == community)
        row = {"community": community, "documents": members.size, "keywords": ", ".join(words)}
        if doc_labels is not None:
            counts = pd.Series([doc_labels[i] for i in members]).value_counts()
            row["main label"] = counts.index[0]
            row["label share"] = round(float(counts.iloc[0] / members.size), 2)
        rows.append(row)
    return pd.DataFrame(rows)
