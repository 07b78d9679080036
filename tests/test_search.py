"""Search of one query at a size against full size, and the query-set curve, checked against
numpy brute force and planted examples."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from core.analysis.search import (
    Hits,
    move_label,
    query_set_table,
    rank_changes,
    results_table,
    search_at,
    timed_top_k,
    top_k,
)
from core.runtime.limits import max_queries
from core.viz.search_plots import highlight_overlap, query_set_figure
from tests import test_measures

MEASURE_KEYS = ("cosine", "dot", "euclidean")
unequal = test_measures.scaled  # fixture: 300 × 48 planted vectors, lengths 0.5–2


def brute_force(
    vectors: np.ndarray, query: np.ndarray, dim: int, measure: str, k: int, exclude=None
) -> list[int]:
    """The k best rows for one query by plain float64 numpy, ties to the lower row."""
    x = vectors[:, :dim].astype(np.float64)
    q = query[:dim].astype(np.float64)
    if measure == "cosine":
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        q /= np.linalg.norm(q)
    score = -np.linalg.norm(x - q, axis=1) if measure == "euclidean" else x @ q
    if exclude is not None:
        score[exclude] = -np.inf
    order = np.lexsort((np.arange(len(x)), -score))
    return order[:k].tolist()


@pytest.mark.parametrize("measure", MEASURE_KEYS)
@pytest.mark.parametrize("dim", [48, 16, 4])
def test_top_k_matches_numpy_brute_force(unequal: np.ndarray, measure: str, dim: int) -> None:
    query = np.random.default_rng(dim).normal(size=48).astype(np.float32)
    found = search_at(unequal, query, dim, 10, measure, repeats=1)
    assert found.hits.rows.tolist() == brute_force(unequal, query, dim, measure, 10)
    assert np.all(np.diff(found.hits.scores) <= 0)  # best first


@pytest.mark.parametrize("measure", MEASURE_KEYS)
def test_a_document_query_leaves_out_its_own_row(unequal: np.ndarray, measure: str) -> None:
    found = search_at(unequal, unequal[42], 16, 10, measure, exclude=42, repeats=1).hits.rows
    assert 42 not in found.tolist()
    assert found.tolist() == brute_force(unequal, unequal[42], 16, measure, 10, exclude=42)


def test_euclidean_scores_are_minus_the_distance() -> None:
    stored = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 0.0]], dtype=np.float32)
    hits = top_k(stored, np.zeros(2, dtype=np.float32), 3, "euclidean")
    assert hits.rows.tolist() == [0, 2, 1]
    assert hits.scores.tolist() == pytest.approx([0.0, -1.0, -5.0])


def test_ties_go_to_the_lower_row() -> None:
    stored = np.array([[1, 0], [0, 1], [1, 0], [1, 0], [0.6, 0.8]], dtype=np.float32)
    query = np.array([1, 0], dtype=np.float32)
    assert top_k(stored, query, 2, "dot").rows.tolist() == [0, 2]
    assert top_k(stored, query, 2, "dot", exclude=0).rows.tolist() == [2, 3]
    assert top_k(stored, query, 4, "dot").rows.tolist() == [0, 2, 3, 4]


def test_k_beyond_the_corpus_returns_every_other_row() -> None:
    stored = np.eye(3, dtype=np.float32)
    assert sorted(top_k(stored, stored[1], 10, exclude=1).rows.tolist()) == [0, 2]


def test_query_time_is_the_median_of_timed_runs_without_the_warm_up() -> None:
    seconds = [0.004, 0.001, 0.009]
    ticks = iter(np.cumsum([x for s in seconds for x in (1.0, s)]).tolist())
    stored = np.eye(4, dtype=np.float32)
    timed = timed_top_k(stored, stored[0], 2, repeats=3, clock=lambda: next(ticks))
    assert timed.ms == pytest.approx(4.0)
    assert next(ticks, None) is None
    assert timed.hits.rows.tolist() == [0, 1]


def test_rank_changes_on_a_planted_pair_of_lists() -> None:
    changes = rank_changes([7, 3, 9], [3, 8, 7]).set_index("row")
    assert changes.loc[7, "rank"] == 1 and changes.loc[7, "full_rank"] == 3
    assert changes.loc[7, "move"] == 2  # third at full size, first here
    assert changes.loc[3, "move"] == -1
    assert pd.isna(changes.loc[9, "full_rank"]) and pd.isna(changes.loc[9, "move"])
    assert pd.isna(changes.loc[8, "rank"])
    assert changes["in_both"].tolist() == [True, True, False, False]


@pytest.mark.parametrize(
    ("rank", "full_rank", "label"),
    [(1, 3, "↑2"), (4, 1, "↓3"), (2, 2, "="), (5, pd.NA, "new"), (pd.NA, 6, "dropped")],
)
def test_move_labels(rank, full_rank, label) -> None:
    assert move_label(rank, full_rank) == label


def test_results_table_shows_both_lists_with_moves() -> None:
    small = Hits(np.array([7, 3, 9]), np.array([-0.5, -1.0, -2.0], dtype=np.float32))
    full = Hits(np.array([3, 8, 7]), np.array([-0.2, -0.3, -0.4], dtype=np.float32))
    changes = rank_changes(small.rows, full.rows)
    ids = [f"d{i}" for i in range(10)]
    texts = [f"text {i}" for i in range(10)]
    here = results_table(small, changes, ids, texts, "euclidean")
    assert here["id"].tolist() == ["d7", "d3", "d9"]
    assert here["distance"].tolist() == [0.5, 1.0, 2.0]
    assert here["move"].tolist() == ["↑2", "↓1", "new"]
    assert here["in both"].tolist() == [True, True, False]
    there = results_table(full, changes, ids, texts, "euclidean")
    assert there["move"].tolist() == ["↓1", "dropped", "↑2"]
    assert there["rank"].tolist() == [1, 2, 3]
    css = highlight_overlap(here).to_html().split("</style>")[0]  # "#T_x_row0_col0, …{…}"
    shaded = set(re.findall(r"_(row\d+_col\d+)", css))
    assert shaded == {f"row{row}_col{col}" for row in (0, 1) for col in range(6)}


@pytest.mark.parametrize("measure", MEASURE_KEYS)
def test_query_set_recall_is_one_at_full_size_and_matches_brute_force(
    unequal: np.ndarray, measure: str
) -> None:
    table = query_set_table(unequal, [16, 4], 5, measure, queries=30, seed=1)
    assert table["dim"].tolist() == [48, 16, 4]
    assert table["queries"].tolist() == [30, 30, 30]
    assert table["recall_at_k"].iloc[0] == 1.0
    picked = np.random.default_rng(1).choice(300, size=30, replace=False)
    expected = np.mean(
        [
            len(
                set(brute_force(unequal, unequal[q], 4, measure, 5, exclude=q))
                & set(brute_force(unequal, unequal[q], 48, measure, 5, exclude=q))
            )
            / 5
            for q in picked
        ]
    )
    assert table["recall_at_k"].iloc[2] == pytest.approx(expected)
    assert table["recall_at_k"].iloc[2] < 1.0
    assert (table["query_ms"] > 0).all()


def test_query_set_times_each_query_once() -> None:
    vectors = np.random.default_rng(0).normal(size=(20, 8)).astype(np.float32)
    ticks = iter(np.arange(0, 1000, 0.5).tolist())  # every timed search takes 0.5 s
    table = query_set_table(vectors, [4], 3, queries=5, clock=lambda: next(ticks))
    assert table["query_ms"].tolist() == [500.0, 500.0]
    assert next(ticks) == 10.0  # 2 sizes × 5 queries, two clock reads each


def test_query_set_with_hnsw_reports_its_recall_and_time(unequal: np.ndarray) -> None:
    table = query_set_table(unequal, [16], 5, queries=40, approximate=True)
    assert table["recall_hnsw"].iloc[0] >= 0.95  # a 300-row graph is searched almost exactly
    assert table["recall_hnsw"].iloc[1] <= table["recall_at_k"].iloc[1] + 0.05
    assert (table["hnsw_ms"] > 0).all()
    again = query_set_table(unequal, [16], 5, queries=40, approximate=True)
    assert again["recall_hnsw"].tolist() == table["recall_hnsw"].tolist()  # one-thread build


def test_query_set_caps_queries_and_k_at_the_corpus() -> None:
    vectors = np.random.default_rng(0).normal(size=(6, 8)).astype(np.float32)
    table = query_set_table(vectors, [2], 10, queries=100)
    assert table["queries"].tolist() == [6, 6] and table["k"].tolist() == [5, 5]
    assert table["recall_at_k"].iloc[0] == 1.0


def test_query_set_takes_at_most_the_servers_limit_of_queries(monkeypatch) -> None:
    monkeypatch.delenv("MGE_MAX_QUERIES", raising=False)
    assert max_queries() == 2_000
    monkeypatch.setenv("MGE_MAX_QUERIES", "7")
    vectors = np.random.default_rng(0).normal(size=(30, 8)).astype(np.float32)
    table = query_set_table(vectors, [2], 5, queries=30)
    assert table["queries"].tolist() == [7, 7]


def test_query_set_rejects_sizes_outside_the_vectors(unequal: np.ndarray) -> None:
    with pytest.raises(ValueError, match="dims must be in"):
        query_set_table(unequal, [64], 5)


def test_query_set_figure_has_recall_and_time_per_method(unequal: np.ndarray) -> None:
    table = query_set_table(unequal, [16, 4], 5, queries=10, approximate=True)
    fig = query_set_figure(table, title="curve")
    data = fig.to_dict()["data"]
    assert [t["name"] for t in data] == ["exact search"] * 2 + ["approximate (faiss HNSW)"] * 2
    assert list(data[0]["x"]) == [4, 16, 48]
    assert list(data[0]["y"]) == table["recall_at_k"].iloc[::-1].tolist()
    assert list(data[1]["y"]) == table["query_ms"].iloc[::-1].tolist()
    layout = fig.to_dict()["layout"]
    assert layout["xaxis"]["type"] == "log" and layout["xaxis2"]["type"] == "log"
    assert any("full size (48)" in a["text"] for a in layout["annotations"])
