"""The dimension ladder: graph, communities, keywords and kNN recall at each nested size."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.analysis.communities import communities, match_communities
from core.analysis.graph import Graph, similarity_graph
from core.analysis.keywords import TermCounts
from core.analysis.knn import Neighbours, knn, knn_recall, truncate

MIN_DIM = 8


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
    recall: np.ndarray  # per document: share of its full-size kNN kept at this size

    @property
    def mean_recall(self) -> float:
        return float(self.recall.mean())

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


def parse_dims(text: str, full: int) -> list[int]:
    """User-edited ladder like "256, 128, 64": valid sizes only, full size always included."""
    values = set()
    for token in text.replace(";", ",").replace(" ", ",").split(","):
        if token.strip().isdigit():
            values.add(int(token))
    kept = {v for v in values if 1 <= v <= full}
    return sorted(kept | {full}, reverse=True)


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
    reference: Neighbours | None = None
    previous_labels: np.ndarray | None = None
    for step, dim in enumerate(ordered):
        neighbours = knn(truncate(vectors, dim), settings.k)
        reference = reference or neighbours
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
            recall=knn_recall(reference.indices, neighbours.indices),
        )
        if progress:
            progress(step + 1, len(ordered), dim)
    return views


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
