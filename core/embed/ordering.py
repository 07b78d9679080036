"""Dimension orderings: native (as the model emits) or PCA-rotated (variance first)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ORDERINGS = ("native", "pca")


@dataclass(frozen=True)
class Ordered:
    """Embeddings whose leading dimensions are the ones to keep when truncating."""

    vectors: np.ndarray
    ordering: str


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
    rotated = (x.astype(np.float64) @ vt.T).astype(np.float32)
    if rotated.shape[1] < x.shape[1]:  # fewer documents than dimensions: pad with empty axes
        rotated = np.hstack(
            [rotated, np.zeros((x.shape[0], x.shape[1] - rotated.shape[1]), np.float32)]
        )
    return Ordered(np.ascontiguousarray(rotated), ordering)
