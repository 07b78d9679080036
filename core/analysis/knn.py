"""Truncated views and their nearest neighbours (exact blocked search)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EXACT_KNN_LIMIT = 20_000


def truncate(vectors: np.ndarray, dim: int) -> np.ndarray:
    """The first `dim` dimensions, renormalised to unit length (all-zero rows stay zero)."""
    if not 1 <= dim <= vectors.shape[1]:
        raise ValueError(f"dim must be in 1..{vectors.shape[1]}, got {dim}")
    prefix = np.ascontiguousarray(vectors[:, :dim], dtype=np.float32)
    norms = np.linalg.norm(prefix, axis=1, keepdims=True)
    return prefix / np.where(norms > 0, norms, 1.0)


@dataclass(frozen=True)
class Neighbours:
    """Each row's k nearest other rows by cosine similarity, most similar first."""

    indices: np.ndarray  # (n, k) int64
    similarities: np.ndarray  # (n, k) float32


def knn(unit_vectors: np.ndarray, k: int, *, block: int = 2048) -> Neighbours:
    """Exact cosine kNN by blocked matrix products and top-k (approximate beyond EXACT_KNN_LIMIT
    rows); torch's top-k is ~7x faster than numpy's argpartition here."""
    n = unit_vectors.shape[0]
    k = min(k, n - 1)
    if k < 1:
        raise ValueError("kNN needs at least two rows")
    if n > EXACT_KNN_LIMIT:
        return _approximate_knn(unit_vectors, k)
    import torch

    data = torch.from_numpy(np.ascontiguousarray(unit_vectors, dtype=np.float32))
    indices = np.empty((n, k), dtype=np.int64)
    sims = np.empty((n, k), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, n, block):
            stop = min(start + block, n)
            scores = data[start:stop] @ data.T
            rows = torch.arange(stop - start)
            scores[rows, rows + start] = -torch.inf
            top = torch.topk(scores, k, dim=1, sorted=True)
            indices[start:stop] = top.indices.numpy()
            sims[start:stop] = top.values.numpy()
    return Neighbours(indices, sims)


def _approximate_knn(unit_vectors: np.ndarray, k: int) -> Neighbours:
    from pynndescent import NNDescent

    index = NNDescent(unit_vectors, metric="cosine", n_neighbors=k + 1, random_state=0)
    idx, dist = index.neighbor_graph
    return _without_self(idx, 1.0 - dist, k)


def _without_self(indices: np.ndarray, similarities: np.ndarray, k: int) -> Neighbours:
    """The first k neighbours of each row other than the row itself, found by index: a duplicate
    document can come before the row in its own list, so the first column is not always self."""
    is_self = indices == np.arange(indices.shape[0])[:, None]
    order = np.argsort(is_self, axis=1, kind="stable")[:, :k]
    return Neighbours(
        np.take_along_axis(indices, order, axis=1).astype(np.int64),
        np.take_along_axis(similarities, order, axis=1).astype(np.float32),
    )


def knn_recall(reference: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """Per row, the share of reference neighbours also among the candidate neighbours."""
    k = reference.shape[1]
    hits = (candidate[:, :, None] == reference[:, None, :]).any(axis=1).sum(axis=1)
    return hits / k
