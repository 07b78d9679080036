"""Dimension orderings: native (as the model emits) or PCA-rotated (variance first)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ORDERINGS = ("native", "pca")


@dataclass(frozen=True)
class Ordered:
    """Embeddings whose leading dimensions are the ones to keep when truncating, and the rotation
    that took them there (None for native order), so new vectors such as a search query can be
    put in the same order."""

    vectors: np.ndarray
    ordering: str
    rotation: np.ndarray | None = None  # (d, d): ordered = raw @ rotation

    def transform(self, raw: np.ndarray) -> np.ndarray:
        """Vectors from the same model (rows) in this ordering."""
        x = np.asarray(raw, dtype=np.float32)
        if self.rotation is None:
            return x
        return (x.astype(np.float64) @ self.rotation).astype(np.float32)


def order_dimensions(vectors: np.ndarray, ordering: str = "native") -> Ordered:
    """Reorder dimensions so that prefixes are good truncations.

    "pca" rotates onto the right singular vectors of the (uncentred) matrix, so the first d
    dimensions give the best rank-d approximation of all pairwise inner products
    (Eckart–Young) while the full-size inner products are unchanged by the rotation.
    """
    if ordering not in ORDERINGS:
        raise ValueError(f"unknown ordering {ordering!r}")
    x = np.asarray(vectors, dtype=np.float32)
    if ordering == "native":
        return Ordered(x, ordering)
    _, _, vt = np.linalg.svd(x.astype(np.float64), full_matrices=False)
    rotation = np.zeros((x.shape[1], x.shape[1]))
    # fewer documents than dimensions: the missing axes stay empty (zero columns)
    rotation[:, : vt.shape[0]] = vt.T
    rotated = (x.astype(np.float64) @ rotation).astype(np.float32)
    return Ordered(np.ascontiguousarray(rotated), ordering, rotation)
