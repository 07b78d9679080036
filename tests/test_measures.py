"""Cosine, dot product and euclidean distance: neighbour lists, scores and fidelity checked
against numpy brute force at several sizes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from core.analysis import knn as knn_module
from core.analysis.fidelity import fidelity_table, similarity_spearman
from core.analysis.graph import similarity_graph
from core.analysis.knn import exact_neighbours, knn, knn_recall
from core.analysis.ladder import GraphSettings
from core.analysis.measures import (
    MEASURES,
    graph_weights,
    paired_scores,
    prefix_points,
    ranks_alike,
    scores,
    shown_values,
)
from core.embed.models import WORDLLAMA
from core.io.corpus import load_demo_corpus
from core.pipeline import Choice, Pipeline
from core.runtime.store import ResultStore


@pytest.fixture(scope="module")
def scaled() -> np.ndarray:
    """Vectors of unequal lengths (0.5–2) with a planted cluster structure."""
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(6, 48))
    x = centres[rng.integers(0, 6, 300)] + 0.6 * rng.normal(size=(300, 48))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return (x * rng.uniform(0.5, 2.0, size=(300, 1))).astype(np.float32)


def brute_force(vectors: np.ndarray, dim: int, measure: str, k: int) -> np.ndarray:
    """Each row's k closest other rows by plain numpy, float64, ties to the lower index."""
    x = vectors[:, :dim].astype(np.float64)
    if measure == "cosine":
        x /= np.linalg.norm(x, axis=1, keepdims=True)
    if measure == "euclidean":
        score = -np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    else:
        score = x @ x.T
    np.fill_diagonal(score, -np.inf)
    order = np.lexsort((np.broadcast_to(np.arange(len(x)), score.shape), -score), axis=1)
    return order[:, :k]


@pytest.mark.parametrize("measure", list(MEASURES))
@pytest.mark.parametrize("dim", [4, 16, 48])
def test_knn_matches_brute_force_for_each_measure(scaled, measure, dim):
    found = knn(prefix_points(scaled, dim, measure), 8, measure)
    expected = brute_force(scaled, dim, measure, 8)
    assert knn_recall(expected, found.indices).mean() >= 0.999
    x = scaled[:, :dim].astype(np.float64)
    if measure == "cosine":
        x /= np.linalg.norm(x, axis=1, keepdims=True)
    rows = np.arange(len(x))[:, None]
    if measure == "euclidean":
        want = -np.linalg.norm(x[rows] - x[found.indices], axis=2)
    else:
        want = np.einsum("nd,nkd->nk", x, x[found.indices])
    np.testing.assert_allclose(found.scores, want, atol=1e-4)


@pytest.mark.parametrize("measure", list(MEASURES))
def test_brute_force_neighbours_agree_with_faiss(scaled, measure):
    points = prefix_points(scaled, 16, measure)
    rows = np.arange(0, 300, 7)
    exact = exact_neighbours(points, rows, 6, measure)
    np.testing.assert_array_equal(exact.indices, knn(points, 6, measure).indices[rows])


def test_the_measures_rank_differently_on_vectors_of_unequal_length(scaled):
    lists = {m: knn(prefix_points(scaled, 48, m), 10, m).indices for m in MEASURES}
    assert knn_recall(lists["cosine"], lists["dot"]).mean() < 0.9
    assert knn_recall(lists["cosine"], lists["euclidean"]).mean() < 0.9
    # dot product favours long vectors: they appear in far more lists than under cosine
    long = np.argsort(-np.linalg.norm(scaled, axis=1))[:30]
    assert np.isin(lists["dot"], long).sum() > 2 * np.isin(lists["cosine"], long).sum()


def test_unit_vectors_rank_alike_at_full_size_and_not_below(scaled):
    unit = scaled / np.linalg.norm(scaled, axis=1, keepdims=True)
    assert ranks_alike(unit, 48) and not ranks_alike(unit, 16)
    assert not ranks_alike(scaled, 48)
    lists = [knn(prefix_points(unit, 48, m), 10, m).indices for m in MEASURES]
    assert all((found == lists[0]).all() for found in lists[1:])


def test_dot_products_of_prefixes_shrink_with_size(scaled):
    unit = scaled / np.linalg.norm(scaled, axis=1, keepdims=True)
    a, b = unit[:150], unit[150:]
    means = [paired_scores(a[:, :d], b[:, :d], "dot").__abs__().mean() for d in (48, 16, 4)]
    assert means[0] > means[1] > means[2]
    cosines = [paired_scores(*(prefix_points(x, d) for x in (a, b))).std() for d in (48, 4)]
    assert cosines[1] > cosines[0]  # renormalised prefixes stay in −1…1 but spread out


def test_scores_and_shown_values():
    q = np.array([[3.0, 4.0]], dtype=np.float32)
    stored = np.array([[0.0, 0.0], [3.0, 0.0]], dtype=np.float32)
    np.testing.assert_allclose(scores(q, stored, "dot"), [[0.0, 9.0]])
    np.testing.assert_allclose(scores(q, stored, "euclidean"), [[-5.0, -4.0]])
    np.testing.assert_allclose(shown_values(np.array([-5.0]), "euclidean"), [5.0])
    np.testing.assert_allclose(paired_scores(q, stored[1:], "euclidean"), [-4.0])
    with pytest.raises(ValueError, match="unknown measure"):
        scores(q, stored, "manhattan")


def test_graph_weights_are_positive_and_distance_weights_ignore_scale(scaled):
    found = knn(prefix_points(scaled, 16, "euclidean"), 5, "euclidean")
    tenfold = knn(prefix_points(scaled * 10, 16, "euclidean"), 5, "euclidean")
    w, w10 = (graph_weights(n.scores, "euclidean") for n in (found, tenfold))
    assert (w > 0).all() and (w <= 1).all()
    np.testing.assert_allclose(w, w10, rtol=1e-4)
    graph = similarity_graph(found, "knn", "euclidean")
    assert (graph.weight > 0).all()
    assert (graph_weights(np.array([-0.3, 0.5]), "dot") > 0).all()


@pytest.mark.parametrize("measure", list(MEASURES))
def test_spearman_against_scipy_on_every_pair(scaled, measure):
    x = scaled[:40]
    i, j = np.triu_indices(40, 1)
    full = prefix_points(x, 48, measure)
    small = prefix_points(x, 8, measure)
    want = spearmanr(
        paired_scores(full[i], full[j], measure), paired_scores(small[i], small[j], measure)
    )
    got = similarity_spearman(x, 8, measure=measure)
    assert got == pytest.approx(want.statistic, abs=1e-9)
    assert similarity_spearman(x, 48, measure=measure) == pytest.approx(1.0)


@pytest.mark.parametrize("measure", list(MEASURES))
def test_fidelity_table_scores_recall_under_the_measure(scaled, measure):
    table = fidelity_table(scaled, [16, 4], k=5, latency=False, measure=measure).set_index("dim")
    expected = brute_force(scaled, 48, measure, 5)
    for dim in (16, 4):
        found = brute_force(scaled, dim, measure, 5)
        want = knn_recall(expected, found).mean()
        assert table.loc[dim, "recall_at_k"] == pytest.approx(want, abs=0.01)
    assert table.loc[48, "recall_at_k"] == pytest.approx(1.0)
    assert 0 <= table.loc[4, "recall_binary"] <= 1


def test_above_the_exact_limit_euclidean_is_approximate_and_dot_stays_exact(scaled, monkeypatch):
    monkeypatch.setattr(knn_module, "EXACT_KNN_LIMIT", 100)
    for measure, floor in (("euclidean", 0.9), ("dot", 1.0)):
        found = knn(prefix_points(scaled, 16, measure), 8, measure)
        recall = knn_recall(brute_force(scaled, 16, measure, 8), found.indices).mean()
        assert recall >= floor, (measure, recall)


def test_pipeline_keeps_lists_per_measure_and_maps_on_cosine():
    corpus = load_demo_corpus()
    store = ResultStore()
    choice = Choice(corpus, WORDLLAMA, "native")
    cosine = Pipeline(choice, settings=GraphSettings(), store=store, ladder=(256, 32))
    dot = Pipeline(choice, settings=GraphSettings(measure="dot"), store=store, ladder=(256, 32))
    assert dot.ranks_alike(256) and not dot.ranks_alike(32)
    np.testing.assert_array_equal(
        cosine.view(256).neighbours.indices, dot.view(256).neighbours.indices
    )
    assert not np.array_equal(cosine.view(32).neighbours.indices, dot.view(32).neighbours.indices)
    assert dot.view(32).mean_recall != cosine.view(32).mean_recall
    assert dot.layout(32) is cosine.layout(32)  # one map, whatever the measure
