"""Tests for core.analysis.knn, graph and communities: truncation, kNN, graphs, matching."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis.communities import communities, match_communities
from core.analysis.graph import similarity_graph
from core.analysis.knn import Neighbours, knn, knn_recall
from core.analysis.measures import unit_prefixes


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _random_unit(n: int, d: int, seed: int = 0) -> np.ndarray:
    return _unit(np.random.default_rng(seed).normal(size=(n, d)))


def _brute_force(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    scores = x.astype(np.float64) @ x.astype(np.float64).T
    np.fill_diagonal(scores, -np.inf)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(scores, order, axis=1)


def _planted_clusters(per: int = 40, clusters: int = 4, d: int = 16, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = np.eye(d)[:clusters] * 6.0
    x = np.vstack([c + rng.normal(size=(per, d)) for c in centres])
    return _unit(x), np.repeat(np.arange(clusters), per)


def test_truncate_keeps_prefix_and_renormalises():
    x = np.random.default_rng(1).normal(size=(20, 12)).astype(np.float32)
    out = unit_prefixes(x, 5)
    assert out.shape == (20, 5)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-6)
    expected = x[:, :5] / np.linalg.norm(x[:, :5], axis=1, keepdims=True)
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_truncate_leaves_all_zero_rows_zero():
    x = np.random.default_rng(2).normal(size=(4, 8)).astype(np.float32)
    x[2, :3] = 0.0
    out = unit_prefixes(x, 3)
    assert np.all(out[2] == 0.0)
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize("dim", [0, -1, 9])
def test_truncate_rejects_dim_outside_range(dim):
    with pytest.raises(ValueError, match="dim must be in 1..8"):
        unit_prefixes(np.ones((3, 8), dtype=np.float32), dim)


def test_knn_matches_brute_force_argsort():
    x = _random_unit(150, 24, seed=3)
    result = knn(x, 7)
    expected_idx, expected_sims = _brute_force(x, 7)
    assert result.indices.shape == (150, 7)
    np.testing.assert_array_equal(result.indices, expected_idx)
    np.testing.assert_allclose(result.scores, expected_sims, atol=1e-5)
    assert np.all(np.diff(result.scores, axis=1) <= 0)


def test_knn_never_returns_self_and_caps_k_at_n_minus_one():
    x = _random_unit(6, 4, seed=5)
    result = knn(x, 50)
    assert result.indices.shape == (6, 5)
    assert not np.any(result.indices == np.arange(6)[:, None])


def test_knn_needs_two_rows():
    with pytest.raises(ValueError, match="at least two rows"):
        knn(_random_unit(1, 4), 3)


def test_similarity_graph_knn_is_union_and_mutual_is_intersection():
    x = _random_unit(80, 10, seed=6)
    k = 6
    neighbours = knn(x, k)
    directed = {(i, int(j)) for i in range(80) for j in neighbours.indices[i]}
    union = {(min(a, b), max(a, b)) for a, b in directed}
    mutual = {(min(a, b), max(a, b)) for a, b in directed if (b, a) in directed}

    knn_graph = similarity_graph(neighbours, "knn")
    mutual_graph = similarity_graph(neighbours, "mutual")
    assert knn_graph.edge_count == len(union)
    assert mutual_graph.edge_count == len(mutual)
    assert set(zip(knn_graph.src.tolist(), knn_graph.dst.tolist(), strict=True)) == union
    assert set(zip(mutual_graph.src.tolist(), mutual_graph.dst.tolist(), strict=True)) == mutual
    assert mutual_graph.edge_count < knn_graph.edge_count


@pytest.mark.parametrize("kind", ["knn", "mutual"])
def test_similarity_graph_edges_are_ordered_without_self_loops_and_weighted_by_cosine(kind):
    x = _random_unit(60, 8, seed=7)
    graph = similarity_graph(knn(x, 5), kind)
    assert graph.n == 60
    assert np.all(graph.src < graph.dst)
    pairs = graph.src * graph.n + graph.dst
    assert np.unique(pairs).size == pairs.size
    cosine = np.einsum("ij,ij->i", x[graph.src], x[graph.dst])
    np.testing.assert_allclose(graph.weight, cosine, atol=1e-5)


def test_similarity_graph_rejects_unknown_kind():
    neighbours = Neighbours(np.array([[1], [0]]), np.array([[1.0], [1.0]], dtype=np.float32))
    with pytest.raises(ValueError, match="unknown graph kind"):
        similarity_graph(neighbours, "complete")


def test_communities_recover_four_planted_clusters():
    x, truth = _planted_clusters()
    labels = communities(similarity_graph(knn(x, 10), "knn"))
    assert np.unique(labels).size == 4
    for cluster in range(4):
        assert np.unique(labels[truth == cluster]).size == 1


def test_communities_are_numbered_by_size_largest_first():
    sizes = (50, 35, 25, 15)
    rng = np.random.default_rng(8)
    x = _unit(
        np.vstack([np.eye(16)[c] * 6.0 + rng.normal(size=(s, 16)) for c, s in enumerate(sizes)])
    )
    labels = communities(similarity_graph(knn(x, 8), "knn"))
    counts = np.bincount(labels)
    assert counts.tolist() == list(sizes)


def test_communities_same_seed_gives_same_partition_whatever_else_uses_random():
    import random
    from concurrent.futures import ThreadPoolExecutor

    x = _random_unit(400, 6, seed=9)  # no clear structure: many near-equal partitions
    graph = similarity_graph(knn(x, 10), "knn")
    first = communities(graph, seed=3)
    random.seed(12345)
    random.random()
    np.testing.assert_array_equal(communities(graph, seed=3), first)
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda s: communities(graph, seed=s), [3, 4, 3, 4]))
    np.testing.assert_array_equal(runs[0], first)
    np.testing.assert_array_equal(runs[2], first)
    np.testing.assert_array_equal(runs[1], runs[3])


def test_communities_reach_at_least_the_planted_partitions_modularity():
    import igraph as ig

    x, truth = _planted_clusters(per=60, seed=4)
    graph = similarity_graph(knn(x, 10), "knn")
    g = ig.Graph(n=graph.n, edges=np.column_stack([graph.src, graph.dst]).tolist())
    weights = graph.weight.tolist()
    found = communities(graph, resolution=1.0)
    assert (
        g.modularity(found.tolist(), weights=weights)
        >= g.modularity(truth.tolist(), weights=weights) - 1e-9
    )
    finer = communities(graph, resolution=3.0)
    assert np.unique(finer).size > np.unique(found).size  # resolution keeps its meaning


def test_match_communities_undoes_a_relabelling():
    reference = np.repeat([0, 1, 2, 3, 4], [30, 25, 20, 15, 10])
    permutation = np.array([3, 0, 4, 1, 2])
    relabelled = permutation[reference]
    np.testing.assert_array_equal(match_communities(reference, relabelled), reference)


def test_match_communities_undoes_relabelling_with_sparse_reference_ids():
    reference = np.repeat([2, 7, 11], [10, 8, 6])
    relabelled = np.repeat([1, 0, 2], [10, 8, 6])
    np.testing.assert_array_equal(match_communities(reference, relabelled), reference)


def test_match_communities_gives_a_split_off_community_a_fresh_id():
    reference = np.repeat([0, 1, 2], [30, 20, 10])
    labels = np.repeat([5, 6, 7, 8], [30, 20, 6, 4])  # reference community 2 split in two
    matched = match_communities(reference, labels)
    np.testing.assert_array_equal(matched[:56], reference[:56])
    assert np.all(matched[56:] == 3)  # fresh id, above every reference id
    assert np.unique(matched).size == 4


def test_match_communities_keeps_ids_stable_under_small_changes():
    rng = np.random.default_rng(10)
    reference = np.repeat(np.arange(6), 20)
    labels = reference.copy()
    moved = rng.choice(labels.size, size=10, replace=False)
    labels[moved] = rng.integers(0, 6, size=10)
    labels = np.array([4, 2, 0, 5, 1, 3])[labels]
    matched = match_communities(reference, labels)
    assert np.mean(matched == reference) >= 0.9
    assert set(np.unique(matched).tolist()) == set(range(6))


def test_knn_recall_counts_shared_neighbours_per_row():
    reference = np.array([[1, 2, 3, 4], [0, 2, 3, 4], [0, 1, 3, 4]])
    candidate = np.array([[4, 3, 2, 1], [0, 5, 6, 7], [9, 8, 7, 6]])
    np.testing.assert_allclose(knn_recall(reference, candidate), [1.0, 0.25, 0.0])


def test_knn_recall_of_one_list_counts_the_full_size_results_kept():
    assert knn_recall([1, 2, 3, 4], [5, 1, 9, 2]) == 0.5
    assert knn_recall([1, 2, 3, 4], [4, 3, 2, 1]) == 1.0
    assert knn_recall([1, 2, 3, 4], [2, -1]) == 0.25  # a shorter list, -1 matching nothing


def test_knn_recall_of_a_truncation_is_between_zero_and_one_and_full_is_one():
    x = _random_unit(100, 32, seed=11)
    full = knn(x, 8).indices
    short = knn(unit_prefixes(x, 4), 8).indices
    assert np.all(knn_recall(full, full) == 1.0)
    recall = knn_recall(full, short)
    assert recall.shape == (100,)
    assert recall.min() >= 0.0 and recall.max() <= 1.0
    assert recall.mean() < 0.9


def test_approximate_knn_drops_self_by_index_even_behind_a_duplicate(monkeypatch):
    from core.analysis import knn as knn_module

    x = _random_unit(300, 8, seed=3)
    x = np.vstack([x, x[:50]])  # rows 300..349 duplicate rows 0..49 exactly
    monkeypatch.setattr(knn_module, "EXACT_KNN_LIMIT", 10)
    found = knn(x, 5)
    rows = np.arange(x.shape[0])[:, None]
    assert not (found.indices == rows).any(), "a row must never be its own neighbour"
    duplicate = np.r_[np.arange(300, 350), np.arange(50)]
    assert (found.indices[np.r_[0:50, 300:350], 0] == duplicate).all()
    np.testing.assert_allclose(found.scores[np.r_[0:50, 300:350], 0], 1.0, atol=1e-5)


def test_without_self_keeps_order_when_self_is_not_first():
    from core.analysis.knn import _without_self

    indices = np.array([[5, 0, 3, 4], [1, 2, 0, 3]])
    sims = np.array([[1.0, 1.0, 0.5, 0.4], [1.0, 0.9, 0.8, 0.7]])
    out = _without_self(indices, sims, 3)
    assert out.indices.tolist() == [[5, 3, 4], [2, 0, 3]]
    np.testing.assert_allclose(out.scores, [[1.0, 0.5, 0.4], [0.9, 0.8, 0.7]])
