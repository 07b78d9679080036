"""Tests for core.analysis.ordering: native vs PCA dimension ordering."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import special_ortho_group

from core.analysis.knn import knn, knn_recall
from core.analysis.measures import unit_prefixes
from core.analysis.ordering import order_dimensions


def _anisotropic(n: int = 300, d: int = 16, seed: int = 0) -> np.ndarray:
    """Random data whose variance is concentrated along a random (not axis-aligned) direction."""
    rng = np.random.default_rng(seed)
    scales = np.geomspace(5.0, 0.2, d)
    rotation = special_ortho_group.rvs(d, random_state=seed)
    return (rng.normal(size=(n, d)) * scales @ rotation).astype(np.float32)


def _matryoshka_like(n: int = 400, d: int = 64, informative: int = 8, seed: int = 0) -> np.ndarray:
    """Structure (20 clusters) in the first `informative` dims, weak noise in the rest."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, informative)) * 3.0
    x = np.zeros((n, d))
    x[:, :informative] = centres[rng.integers(0, 20, size=n)] + rng.normal(size=(n, informative))
    x[:, informative:] = rng.normal(scale=0.15, size=(n, d - informative))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_pca_ordering_puts_variance_first():
    x = _anisotropic()
    pca = order_dimensions(x, "pca")
    native = order_dimensions(x, "native")
    pca_moment = (pca.vectors.astype(np.float64) ** 2).sum(axis=0)
    native_moment = (native.vectors.astype(np.float64) ** 2).sum(axis=0)
    assert np.all(np.diff(pca_moment) <= 1e-6)
    assert pca_moment[0] >= native_moment.max()


def test_pca_ordering_preserves_full_size_inner_products():
    x = _anisotropic(n=120, d=20, seed=1)
    rotated = order_dimensions(x, "pca").vectors
    assert rotated.shape == x.shape
    assert rotated.dtype == np.float32
    np.testing.assert_allclose(rotated @ rotated.T, x @ x.T, atol=1e-4 * np.abs(x @ x.T).max())


def test_native_ordering_leaves_vectors_unchanged():
    x = _anisotropic(seed=2)
    ordered = order_dimensions(x, "native")
    np.testing.assert_array_equal(ordered.vectors, x)
    assert ordered.ordering == "native"


def test_pca_ordering_pads_to_full_width_when_fewer_documents_than_dimensions():
    x = np.random.default_rng(3).normal(size=(5, 12)).astype(np.float32)
    ordered = order_dimensions(x, "pca")
    assert ordered.vectors.shape == (5, 12)
    assert np.all(ordered.vectors[:, 5:] == 0.0)
    np.testing.assert_allclose(ordered.vectors @ ordered.vectors.T, x @ x.T, atol=1e-4)


def test_unknown_ordering_is_rejected():
    with pytest.raises(ValueError, match="unknown ordering"):
        order_dimensions(np.ones((3, 3), dtype=np.float32), "random")


def test_pca_ordering_recovers_prefix_quality_lost_by_a_random_rotation():
    x = _matryoshka_like()
    rotation = special_ortho_group.rvs(x.shape[1], random_state=7)
    rotated = (x @ rotation).astype(np.float32)
    k, small = 10, 8
    full = knn(rotated, k).indices

    def prefix_recall(vectors: np.ndarray) -> float:
        return float(knn_recall(full, knn(unit_prefixes(vectors, small), k).indices).mean())

    native = prefix_recall(order_dimensions(rotated, "native").vectors)
    pca = prefix_recall(order_dimensions(rotated, "pca").vectors)
    unrotated = prefix_recall(x)
    assert pca > native + 0.25
    assert pca >= 0.8 * unrotated


def test_new_vectors_are_put_in_the_corpus_ordering():
    x = _anisotropic()
    pca = order_dimensions(x[:200], "pca")
    np.testing.assert_allclose(pca.transform(x[:200]), pca.vectors, atol=1e-4)
    queries = pca.transform(x[200:])
    # inner products with the corpus are unchanged by the rotation, so search ranks alike
    np.testing.assert_allclose(queries @ pca.vectors.T, x[200:] @ x[:200].T, rtol=1e-3, atol=1e-3)
    native = order_dimensions(x, "native")
    assert native.rotation is None and (native.transform(x[:3]) == x[:3]).all()
    few = order_dimensions(x[:5], "pca")  # fewer documents than dimensions: padded axes
    assert few.rotation.shape == (16, 16)
    np.testing.assert_allclose(few.transform(x[:5]), few.vectors, atol=1e-4)
