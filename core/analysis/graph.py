"""Similarity graphs built from neighbour lists."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.analysis.knn import Neighbours
from core.analysis.measures import graph_weights

GRAPH_KINDS = ("knn", "mutual")


@dataclass(frozen=True)
class Graph:
    """An undirected weighted graph on n documents, each edge once with src < dst."""

    n: int
    src: np.ndarray  # int32
    dst: np.ndarray  # int32
    weight: np.ndarray  # float32, > 0 (see measures.graph_weights)

    @property
    def edge_count(self) -> int:
        return int(self.src.size)


def similarity_graph(neighbours: Neighbours, kind: str = "knn", measure: str = "cosine") -> Graph:
    """kNN graph (edge if either is among the other's k nearest) or mutual kNN (both), weighted
    by the measure's positive edge weight."""
    if kind not in GRAPH_KINDS:
        raise ValueError(f"unknown graph kind {kind!r}")
    n, k = neighbours.indices.shape
    rows = np.repeat(np.arange(n), k)
    cols = neighbours.indices.ravel()
    w = graph_weights(neighbours.scores, measure).ravel()
    lo, hi = np.minimum(rows, cols), np.maximum(rows, cols)
    pair = lo * n + hi
    unique, first, counts = np.unique(pair, return_index=True, return_counts=True)
    keep = counts >= 2 if kind == "mutual" else np.ones_like(counts, dtype=bool)
    src, dst = (unique // n)[keep], (unique % n)[keep]
    return Graph(n, src.astype(np.int32), dst.astype(np.int32), w[first][keep].astype(np.float32))
