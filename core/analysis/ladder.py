"""The dimension ladder: graph, communities, keywords and kNN recall at each nested size."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
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
    knn,
    knn_recall,
    sample_rows,
    truncate,
)
from core.errors import ExplorerError

MIN_DIM = 8
RECALL_SAMPLE = 2_000


@dataclass(frozen=True)
class GraphSettings:
    """Everything that decides the graph and its communities, apart from the vectors."""

    k: int = 10
    kind: str = "knn"
    resolution: float = 1.0
    seed: int = 42


@dataclass(frozen=True)
class DimensionView:
    """What the app shows for one truncation size."""

    dim: int
    neighbours: Neighbours
    graph: Graph
    communities: np.ndarray
    keywords: dict[int, tuple[str, ...]]
    # per document: share of its exact full-size kNN kept at this size (NaN for documents outside
    # the exactly-searched sample, above EXACT_KNN_LIMIT)
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

    Anything but a whole number of at least 1 is refused with a message naming it.
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
    return sorted(values, reverse=True)


def fit_ladder(sizes: Iterable[int], full: int) -> list[int]:
    """The sizes that exist for vectors of `full` dimensions, the full size always included."""
    return sorted({d for d in sizes if 1 <= d <= full} | {full}, reverse=True)


def compute_views(
    vectors: np.ndarray,
    dims: Sequence[int],
    terms: TermCounts,
    settings: GraphSettings = GraphSettings(),
    *,
    progress: Callable[[int, int, int], None] | None = None,
) -> dict[int, DimensionView]:
    """A DimensionView per size, largest first; community ids matched down the ladder."""
    full = vectors.shape[1]
    ordered = sorted(set(dims) | {full}, reverse=True)
    views: dict[int, DimensionView] = {}
    recall = _RecallReference(vectors, settings.k)
    previous_labels: np.ndarray | None = None
    for step, dim in enumerate(ordered):
        unit = truncate(vectors, dim)
        neighbours = knn(unit, settings.k)
        graph = similarity_graph(neighbours, settings.kind)
        labels = communities(graph, resolution=settings.resolution, seed=settings.seed)
        if previous_labels is not None:
            labels = match_communities(previous_labels, labels)
        previous_labels = labels
        views[dim] = DimensionView(
            dim=dim,
            neighbours=neighbours,
            graph=graph,
            communities=labels,
            keywords=terms.keywords(labels),
            recall=recall.of(unit, neighbours),
        )
        if progress:
            progress(step + 1, len(ordered), dim)
    return views


class _RecallReference:
    """Each document's exact full-size neighbours, to score every size against. Up to
    EXACT_KNN_LIMIT rows kNN is exact and every document is scored; above it kNN is approximate,
    so a seeded sample of documents is searched exactly at both sizes instead, and the rest get
    NaN (an approximate list would count search errors as truncation loss)."""

    def __init__(self, vectors: np.ndarray, k: int):
        n = vectors.shape[0]
        self.exact = n <= knn_module.EXACT_KNN_LIMIT
        self.rows = np.arange(n) if self.exact else sample_rows(n, RECALL_SAMPLE)
        self.n, self.k = n, k
        self.reference: np.ndarray | None = None

    def of(self, unit: np.ndarray, neighbours: Neighbours) -> np.ndarray:
        found = neighbours.indices if self.exact else self._exact(unit)
        if self.reference is None:  # the first size scored is the full size
            self.reference = found
        recall = np.full(self.n, np.nan, dtype=np.float32)
        recall[self.rows] = knn_recall(self.reference, found)
        return recall

    def _exact(self, unit: np.ndarray) -> np.ndarray:
        return exact_neighbours(unit, self.rows, self.k).indices


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
