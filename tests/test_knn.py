"""Tests for core.analysis.knn's search: exact path against brute force, ties, self exclusion by
index, and the approximate path's recall, determinism and fallback for rows it cannot fill."""

from __future__ import annotations

import logging
import threading

import numpy as np
import pytest

from core.analysis import brute_force, top_k
from core.analysis import knn as knn_module
from core.analysis.knn import exact_neighbours, knn, knn_recall


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _halves(n: int, d: int, seed: int = 0) -> np.ndarray:
    """n unit rows of four ±0.5 entries each: every dot product is a multiple of 0.25, exact in
    float32 whatever the summation order, so many similarities tie exactly (duplicates too)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, d), dtype=np.float32)
    for row in x:
        row[rng.choice(d, size=4, replace=False)] = rng.choice([-0.5, 0.5], size=4)
    return x


def _clustered(n: int, d: int, clusters: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, d))
    return _unit(centres[rng.integers(clusters, size=n)] + 0.5 * rng.normal(size=(n, d)))


def _brute_force(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Float64 scores, own row left out by index, most similar first, ties by lower index."""
    scores = x.astype(np.float64) @ x.astype(np.float64).T
    np.fill_diagonal(scores, -np.inf)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(scores, order, axis=1)


@pytest.fixture(params=["one tile", "small tiles", "numpy", "numpy blocks"])
def tiles(request, monkeypatch):
    """The compiled search in one query block and one score tile, or in uneven blocks and tiles
    that cut through every list (a row's own column and its ties across tile edges); or the
    numpy search of small corpora, in one block or in uneven blocks of queries."""
    if request.param.startswith("numpy"):
        monkeypatch.setattr(knn_module, "NUMPY_EXACT_ROWS", 10**9)
        if request.param == "numpy blocks":
            monkeypatch.setattr(top_k, "_BLOCK_CELLS", 7 * 300)
        return
    monkeypatch.setattr(knn_module, "NUMPY_EXACT_ROWS", 0)
    if request.param == "small tiles":
        monkeypatch.setattr(brute_force, "_QUERY_BLOCK", 7)
        monkeypatch.setattr(brute_force, "_TILE", 13)


def test_exact_knn_equals_brute_force(tiles):
    x = _unit(np.random.default_rng(2).normal(size=(300, 12)))
    result = knn(x, 8)
    expected_idx, expected_sims = _brute_force(x, 8)
    assert result.indices.dtype == np.int32 and result.scores.dtype == np.float32
    np.testing.assert_array_equal(result.indices, expected_idx)
    np.testing.assert_allclose(result.scores, expected_sims, atol=1e-5)


def test_exact_knn_breaks_ties_by_lower_index(tiles):
    x = _halves(400, 10)
    result = knn(x, 12)
    expected_idx, expected_sims = _brute_force(x, 12)
    np.testing.assert_array_equal(result.indices, expected_idx)
    np.testing.assert_array_equal(result.scores, expected_sims)


def test_exact_knn_leaves_out_only_the_row_itself_among_duplicates(tiles):
    x = np.repeat(_halves(2, 8, seed=1), 6, axis=0)  # two vectors, six copies each
    result = knn(x, 3)
    for row in range(12):
        copies = [i for i in range(6 * (row // 6), 6 * (row // 6) + 6) if i != row]
        assert result.indices[row].tolist() == copies[:3]
    np.testing.assert_array_equal(result.scores, 1.0)


def test_exact_knn_resolves_ties_longer_than_its_lists(tiles):
    x = np.repeat(_halves(3, 8, seed=2), 100, axis=0)  # 100 copies each: past every list length
    result = knn(x, 2)
    expected_idx, expected_sims = _brute_force(x, 2)
    np.testing.assert_array_equal(result.indices, expected_idx)
    np.testing.assert_array_equal(result.scores, expected_sims)


def test_exact_knn_matches_exact_neighbours_on_rows(tiles):
    x = _clustered(500, 16, clusters=10)
    rows = np.array([0, 17, 499])
    full, some = knn(x, 10), exact_neighbours(x, rows, 10)
    np.testing.assert_array_equal(full.indices[rows], some.indices)
    np.testing.assert_allclose(full.scores[rows], some.scores, atol=1e-6)


def test_numpy_and_compiled_exact_search_give_the_same_lists_with_nan_and_ties(monkeypatch):
    x = np.vstack([_halves(200, 10, seed=3), np.repeat(_halves(2, 10, seed=4), 30, axis=0)])
    x[[5, 77]] = np.nan  # rows whose every score is NaN: never listed, and lists left short
    rows = np.arange(len(x))
    compiled = brute_force.search(x, rows, 12, "cosine")
    found = top_k.search(x, rows, 12, "cosine")
    np.testing.assert_array_equal(found[0], compiled[0])
    np.testing.assert_array_equal(found[1], compiled[1])
    assert (found[0][5] == -1).all() and not np.isin([5, 77], found[0]).any()


def _blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_exact_search_holds_blas_to_one_thread_and_restores_it(monkeypatch):
    """Each search runs BLAS on one thread; overlapping searches from several threads leave the
    setting as it was, and each gives the same lists as one alone. faiss is loaded first: its
    OpenBLAS is built on OpenMP, whose thread count is per thread, so setting it in the calling
    thread alone leaves the search's workers at the default (failed in the full suite)."""

    from core.analysis.search import load_faiss

    load_faiss()

    monkeypatch.setattr(knn_module, "NUMPY_EXACT_ROWS", 0)  # the compiled search's threads
    monkeypatch.setattr(brute_force, "_TILE", 64)
    x = _clustered(600, 16, clusters=8)
    alone = knn(x, 5)
    before = _blas_threads()
    if max(before) == 1:
        pytest.skip("BLAS runs on one thread here anyway")
    seen, results = [], []
    merge_tile = brute_force._merge_tile

    def merge(*args):
        seen.append(_blas_threads())
        return merge_tile(*args)

    monkeypatch.setattr(brute_force, "_merge_tile", merge)
    threads = [threading.Thread(target=lambda: results.append(knn(x, 5))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _blas_threads() == before
    assert seen and all(set(threads_then) == {1} for threads_then in seen)
    assert len(results) == 3
    for result in results:
        np.testing.assert_array_equal(result.indices, alone.indices)


@pytest.fixture
def approximate(monkeypatch):
    monkeypatch.setattr(knn_module, "EXACT_KNN_LIMIT", 100)


def test_approximate_knn_recall_and_determinism(approximate):
    # NN-descent reached recall 0.96–1.0 on real text at 50k–200k rows; 0.9 leaves room for
    # small data without letting a broken search pass.
    x = _clustered(3000, 24, clusters=30)
    first, second = knn(x, 10), knn(x, 10)
    reference = exact_neighbours(x, np.arange(len(x)), 10)
    assert knn_recall(reference.indices, first.indices).mean() >= 0.9
    np.testing.assert_array_equal(first.indices, second.indices)
    np.testing.assert_array_equal(first.scores, second.scores)
    assert not np.any(first.indices == np.arange(len(x))[:, None])
    assert np.all(np.diff(first.scores, axis=1) <= 0)
    found = np.take_along_axis(x @ x.T, first.indices.astype(np.int64), axis=1)
    np.testing.assert_allclose(first.scores, found, atol=1e-5)


def test_approximate_knn_searches_rows_it_could_not_fill_exactly(approximate, monkeypatch):
    import pynndescent

    x = _clustered(200, 8, clusters=5)
    exact = exact_neighbours(x, np.arange(len(x)), 4)
    graph = np.hstack([np.arange(200)[:, None], exact.indices]).astype(np.int32)
    distances = np.hstack([np.zeros((200, 1)), 1.0 - exact.scores]).astype(np.float32)
    graph[[3, 50], 2:] = -1  # rows the search left short
    distances[[3, 50], 2:] = np.inf

    class Unfilled:
        def __init__(self, *args, **kwargs):
            self.neighbor_graph = graph, distances

    monkeypatch.setattr(pynndescent, "NNDescent", Unfilled)
    result = knn(x, 4)
    np.testing.assert_array_equal(result.indices, exact.indices)
    np.testing.assert_allclose(result.scores, exact.scores, atol=1e-6)


@pytest.mark.parametrize("installed", ["0.7.0", "0.0.0"])
def test_nn_descent_kernels_are_cached_only_on_the_pynndescent_version_written_for(
    kernel_patches, caplog, installed
):
    kernel_patches.installed["pynndescent"] = installed
    with caplog.at_level(logging.WARNING, logger="core.runtime.numba_cache"):
        knn_module._nndescent.__wrapped__()
    notes = [record.getMessage() for record in caplog.records]
    if installed == "0.7.0":
        assert kernel_patches.cached and notes == []
    else:
        assert kernel_patches.cached == []
        assert len(notes) == 1 and notes[0].endswith("found pynndescent 0.0.0")


def test_exact_search_raises_a_workers_error(monkeypatch):
    """An error in a worker thread of the search (not the calling thread, which takes a share
    itself) reaches the caller, not a thread's log."""
    caller = threading.current_thread()

    def merge(*args):
        if threading.current_thread() is not caller:
            raise ValueError("tile failed")

    monkeypatch.setattr(knn_module, "NUMPY_EXACT_ROWS", 0)  # the compiled search's threads
    monkeypatch.setattr(brute_force, "cores", lambda: 2)
    monkeypatch.setattr(brute_force, "_TILE", 64)
    monkeypatch.setattr(brute_force, "_merge_tile", merge)
    with pytest.raises(ValueError, match="tile failed"):
        knn(_clustered(600, 16, clusters=8), 5)
