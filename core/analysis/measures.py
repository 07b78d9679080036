"""Similarity measures of embedding prefixes (cosine, dot product, euclidean distance), what each
means, and what truncation does to it.

Every measure is turned into a score where higher means closer: cosine and dot product are
their own score, euclidean distance d scores -d. Cosine compares renormalised prefixes; dot
product and euclidean distance compare the prefixes as they are, so a prefix's shrinking length
shows in them (the vectors are kept at the scale the model gave them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# prefix lengths within this relative spread count as equal: every measure then ranks alike
_EQUAL_LENGTH = 1e-3


@dataclass(frozen=True)
class Measure:
    """One similarity measure and the sentences the app shows about it."""

    key: str
    label: str
    value_name: str  # what a shown value is: "similarity" or "distance"
    meaning: str
    truncation: str


MEASURES = {
    m.key: m
    for m in (
        Measure(
            "cosine",
            "Cosine similarity",
            "similarity",
            "The angle between two prefixes, their lengths ignored (1 = same direction).",
            "Each prefix is renormalised, so only the direction of the first d numbers counts; "
            "values stay in −1…1 at every size.",
        ),
        Measure(
            "dot",
            "Dot product",
            "similarity",
            "Length times length times cosine: documents with long vectors score high with "
            "everything.",
            "Prefixes are not renormalised, so dot products shrink with the size (a prefix of a "
            "unit vector is shorter than 1) and longer prefixes win ties in direction.",
        ),
        Measure(
            "euclidean",
            "Euclidean distance",
            "distance",
            "The straight-line distance between two prefixes (0 = identical); smaller is closer.",
            "Distances of prefixes shrink with the size. Of renormalised prefixes they would rank "
            "exactly like cosine (d² = 2 − 2·cos), so here the prefixes keep their lengths.",
        ),
    )
}


def unit_prefixes(vectors: np.ndarray, dim: int) -> np.ndarray:
    """The first `dim` dimensions, renormalised to unit length (all-zero rows stay zero)."""
    if not 1 <= dim <= vectors.shape[1]:
        raise ValueError(f"dim must be in 1..{vectors.shape[1]}, got {dim}")
    prefix = np.ascontiguousarray(vectors[:, :dim], dtype=np.float32)
    norms = np.linalg.norm(prefix, axis=1, keepdims=True)
    return prefix / np.where(norms > 0, norms, 1.0)


def check_measure(measure: str) -> Measure:
    """The Measure named `measure`, or a ValueError listing the known ones."""
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; choose from {list(MEASURES)}")
    return MEASURES[measure]


def prefix_points(vectors: np.ndarray, dim: int, measure: str = "cosine") -> np.ndarray:
    """What `measure` compares at size `dim`: renormalised prefixes for cosine, the prefixes as
    they are (float32, contiguous) for dot product and euclidean distance."""
    check_measure(measure)
    if measure == "cosine":
        return unit_prefixes(vectors, dim)
    if not 1 <= dim <= vectors.shape[1]:
        raise ValueError(f"dim must be in 1..{vectors.shape[1]}, got {dim}")
    return np.ascontiguousarray(vectors[:, :dim], dtype=np.float32)


def scores(queries: np.ndarray, stored: np.ndarray, measure: str = "cosine") -> np.ndarray:
    """(queries × stored) scores, higher = closer, of points from prefix_points: inner products
    for cosine and dot product, minus the euclidean distance for euclidean."""
    check_measure(measure)
    products = queries @ stored.T
    if measure != "euclidean":
        return products
    squared = (
        np.einsum("ij,ij->i", queries, queries)[:, None]
        + np.einsum("ij,ij->i", stored, stored)[None, :]
        - 2 * products
    )
    return -np.sqrt(np.clip(squared, 0, None))


def paired_scores(a: np.ndarray, b: np.ndarray, measure: str = "cosine") -> np.ndarray:
    """Row-by-row scores of two equally long stacks of points (a[i] with b[i])."""
    check_measure(measure)
    if measure == "euclidean":
        return -np.linalg.norm(a - b, axis=1)
    return np.einsum("ij,ij->i", a, b)


def shown_values(score: np.ndarray, measure: str) -> np.ndarray:
    """Scores as a person reads them: similarities as they are, distances positive."""
    return -score if check_measure(measure).value_name == "distance" else score


def graph_weights(score: np.ndarray, measure: str) -> np.ndarray:
    """Positive edge weights from neighbour scores, for communities and drawing: similarities
    clipped at a small positive floor (modularity needs weights > 0); distances d turned into
    1 / (1 + d / median d), which is the same whatever the scale of the vectors."""
    score = np.asarray(score, dtype=np.float32)
    if check_measure(measure).value_name == "similarity":
        return np.clip(score, 1e-6, None)
    distance = -score
    scale = float(np.median(distance)) if distance.size else 0.0
    return (1.0 / (1.0 + distance / (scale if scale > 0 else 1.0))).astype(np.float32)


def ranks_alike(vectors: np.ndarray, dim: int) -> bool:
    """True when every document's prefix at `dim` has the same length (within 0.1%): then dot
    product and euclidean distance rank neighbours as cosine does, but for scores closer than
    that spread."""
    lengths = np.linalg.norm(np.asarray(vectors[:, :dim], dtype=np.float64), axis=1)
    top = float(lengths.max()) if lengths.size else 0.0
    return top > 0 and float(lengths.min()) >= top * (1 - _EQUAL_LENGTH)
