"""Retrieval quality per size × precision on synthetic corpora with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.analysis.indexes import RESCORE_FACTOR, FloatIndex, code_width
from core.analysis.retrieval import (
    PRECISIONS,
    Judgements,
    bootstrap_weights,
    disagreement,
    interval,
    label_judgements,
    pareto_front,
    proxy_sentence,
    query_metrics,
    recommend,
    retrieval_table,
    speed_table,
    storage_rows,
)


def _judged() -> Judgements:
    # q0: row 2 (grade 2) and row 5 (grade 1); q1: row 7; q2: row 3
    return Judgements.build([(0, 2, 2), (0, 5, 1), (1, 7, 1), (2, 3, 1)], queries=3)


def _ranked() -> np.ndarray:
    q0 = [5, 1, 2, 0, 4, 6, 8, 9, 10, 11, 12, 13]
    q1 = [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 7]  # row 7 at rank 12: outside every cut-off
    q2 = [0, 3, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11]
    return np.array([q0, q1, q2])


def test_every_metric_matches_the_hand_computed_value():
    judged = _judged()
    grades = judged.grades_at(_ranked(), n_rows=14)
    assert grades[0, :3].tolist() == [1, 0, 2]
    found = query_metrics(grades, judged, k=3)
    # q0: DCG = 1/log2(2) + 2/log2(4) = 2; ideal = 2/log2(2) + 1/log2(3)
    ideal = 2 + 1 / math.log2(3)
    assert found["ndcg_at_10"] == pytest.approx([2 / ideal, 0.0, 1 / math.log2(3)])
    assert found["recall_at_k"].tolist() == [1.0, 0.0, 1.0]
    assert found["mrr_at_10"].tolist() == [1.0, 0.0, 0.5]
    assert found["hit_at_k"].tolist() == [1.0, 0.0, 1.0]
    # at k = 1 q0 finds one of its two answers, q2 none
    one = query_metrics(grades, judged, k=1)
    assert one["recall_at_k"].tolist() == [0.5, 0.0, 0.0]
    assert one["hit_at_k"].tolist() == [1.0, 0.0, 0.0]


def test_graded_relevance_rewards_the_better_answer_first():
    judged = Judgements.build([(0, 2, 3), (0, 5, 1)], queries=1)
    better = judged.grades_at(np.array([[2, 5, 0]]), 6)
    worse = judged.grades_at(np.array([[5, 2, 0]]), 6)
    assert query_metrics(better, judged, 2)["ndcg_at_10"][0] == pytest.approx(1.0)
    # DCG 1 + 3/log2(3), ideal 3 + 1/log2(3)
    expected = (1 + 3 / math.log2(3)) / (3 + 1 / math.log2(3))
    assert query_metrics(worse, judged, 2)["ndcg_at_10"][0] == pytest.approx(expected)
    assert query_metrics(worse, judged, 2)["recall_at_k"][0] == 1.0  # recall ignores grades


def test_a_pair_judged_twice_keeps_its_highest_grade():
    judged = Judgements.build([(0, 4, 1), (0, 4, 3)], queries=1)
    assert judged.grade.tolist() == [3.0]


def test_a_query_without_answers_is_refused():
    with pytest.raises(ValueError, match="at least one relevant"):
        Judgements.build([(0, 1, 1)], queries=2)


def test_ties_go_to_the_lower_row_and_the_own_row_is_left_out():
    stored = np.ones((5, 2), dtype=np.float32)  # every row scores the same
    query = np.ones((1, 2), dtype=np.float32)
    index = FloatIndex(stored, "dot")
    assert index.search(query, 3).tolist() == [[0, 1, 2]]
    assert index.search(query, 3, exclude=np.array([1])).tolist() == [[0, 2, 3]]


def test_exact_search_matches_a_full_sort_of_whole_number_scores():
    rng = np.random.default_rng(2)
    codes = np.sign(rng.normal(size=(300, 6))).astype(np.float32)  # 2^6 codes: many ties
    queries = np.sign(rng.normal(size=(20, 6))).astype(np.float32)
    own = rng.integers(0, 300, size=20)
    found = FloatIndex(codes, "dot").search(queries, 15, exclude=own)
    products = queries @ codes.T
    products[np.arange(20), own] = -np.inf
    expected = np.lexsort((np.broadcast_to(np.arange(300), products.shape), -products), axis=1)
    assert (found == expected[:, :15]).all()


def _planted(n: int = 400, dim: int = 64, queries: int = 120, noise: float = 0.7, seed: int = 0):
    """Documents in random directions whose energy falls off with the dimension (so prefixes
    are usable), and queries that are noisy copies of one document each: the known answer."""
    rng = np.random.default_rng(seed)
    scale = 1 / np.sqrt(np.arange(1, dim + 1))
    docs = rng.normal(size=(n, dim)) * scale
    answers = rng.choice(n, size=queries, replace=False)
    asked = docs[answers] + noise * rng.normal(size=(queries, dim)) * scale
    judged = Judgements.build([(q, int(a), 1) for q, a in enumerate(answers)], queries)
    return docs.astype(np.float32), asked.astype(np.float32), judged


@pytest.fixture(scope="module")
def planted_table():
    docs, asked, judged = _planted()
    return retrieval_table(docs, asked, judged, [64, 32, 16, 8], k=10, rounds=300)


def test_table_has_a_row_per_size_and_precision_with_intervals(planted_table):
    table = planted_table
    assert len(table) == 4 * len(PRECISIONS)
    assert table[["dim", "precision"]].iloc[0].tolist() == [64, "float32"]
    for metric in ("recall_at_k", "ndcg_at_10", "mrr_at_10", "hit_at_k", "agreement_at_k"):
        assert (table[f"{metric}_low"] <= table[metric] + 1e-12).all()
        assert (table[metric] <= table[f"{metric}_high"] + 1e-12).all()
    full = table.iloc[0]
    assert full["hit_at_k"] > 0.95  # a noisy copy finds its document in the top 10
    assert full["agreement_at_k"] == 1.0 and full["ndcg_at_10_share"] == 1.0
    assert set(table["queries"]) == {120}
    assert (table["ms_per_query"] > 0).all()
    rescored = table[table["precision"] == "binary+rescore"]
    assert set(rescored["rescored"]) == {RESCORE_FACTOR * 10}
    by = table.set_index(["dim", "precision"])
    assert by.loc[(64, "float32"), "bytes_per_vector"] == 256
    assert by.loc[(64, "int8"), "bytes_per_vector"] == 64
    assert by.loc[(64, "binary"), "bytes_per_vector"] == 8
    assert by.loc[(64, "binary+rescore"), "disk_bytes_per_vector"] == 8 + 256


def test_quality_falls_with_the_size_and_rescoring_recovers_binary(planted_table):
    by = planted_table.set_index(["dim", "precision"])["ndcg_at_10"]
    assert by[(8, "float32")] < by[(32, "float32")] <= by[(64, "float32")]
    for dim in (32, 16, 8):
        assert by[(dim, "binary+rescore")] > by[(dim, "binary")] + 0.1
        assert by[(dim, "int8")] == pytest.approx(by[(dim, "float32")], abs=0.02)


def test_each_configuration_is_timed_with_its_own_kernel_and_says_what_it_keeps(planted_table):
    table, n = planted_table, 400
    assert (table["ms_per_query"] > 0).all()
    assert (table["ms_per_query"] <= table["ms_per_query_p95"]).all()
    assert (table["queries_per_second"] > 0).all()
    assert table.groupby("dim")["kernel"].nunique().eq(4).all()
    by = table.set_index(["dim", "precision"])
    for dim in (64, 32, 16, 8):
        assert by.loc[(dim, "float32"), "index_bytes"] == n * dim * 4
        # codes, each row's decoded length and the calibrated (min, max) per dimension
        assert by.loc[(dim, "int8"), "index_bytes"] == n * dim + n * 4 + 2 * dim * 4
        bits = n * code_width(math.ceil(dim / 8))  # widened to a width with its own popcount
        assert by.loc[(dim, "binary"), "index_bytes"] == bits
        rescored = by.loc[(dim, "binary+rescore")]
        assert rescored["index_bytes"] == bits
        assert rescored["kept_for_rescoring_bytes"] == n * dim * 4
        assert "float32 vectors" in rescored["kept_for_rescoring"]
        assert "in memory or on disk" in rescored["kept_for_rescoring"]
    others = table[table["precision"] != "binary+rescore"]
    assert (others["kept_for_rescoring_bytes"] == 0).all()
    assert (others["kept_for_rescoring"] == "nothing").all()


def test_without_latency_the_times_are_empty_and_the_bytes_still_there():
    docs, asked, judged = _planted(n=120, queries=30)
    table = retrieval_table(docs, asked, judged, [16], rounds=20, latency=False)
    timed = ["ms_per_query", "ms_per_query_p95", "queries_per_second"]
    assert table[timed].isna().all().all()
    assert table.set_index(["dim", "precision"]).loc[(16, "binary"), "index_bytes"] == 120 * 4


def test_speed_table_reads_the_timings_and_an_older_table_has_none(planted_table):
    speeds = speed_table(planted_table)
    assert speeds["dims"].tolist() == planted_table["dim"].tolist()
    row = speeds.iloc[3]  # 64 dims, binary+rescore
    assert row["precision"] == "binary+rescore" and row["index in memory"] == "3.2 KB"
    assert row["kept for rescoring"].startswith("102.4 KB: float32 vectors (64 × 4 B each")
    assert speeds.iloc[0]["kept for rescoring"] == "nothing"
    assert speed_table(planted_table.drop(columns=["ms_per_query_p95"])) is None


def test_agreement_and_quality_are_different_measures(planted_table):
    # binary codes return other neighbours than the full size, yet mostly the same answers
    row = disagreement(planted_table)
    assert (row["dim"], row["precision"]) == (64, "binary")
    assert row["agreement_at_k"] < 0.4 and row["ndcg_at_10_share"] > 0.95


def test_labels_as_answers_leave_each_query_out_of_its_results():
    labels = ["a"] * 5 + ["b"] * 5 + ["lonely"]
    judged = label_judgements(labels, queries=20, seed=1)
    assert judged.queries == 10  # the lonely document has nobody to find
    for q, doc in enumerate(judged.exclude):
        relevant = judged.row[judged.query == q]
        assert doc not in relevant and len(relevant) == 4
        assert {labels[r] for r in relevant} == {labels[doc]}
    rng = np.random.default_rng(0)
    groups = [rng.normal(size=(5, 8)) + 5, rng.normal(size=(5, 8)) - 5, rng.normal(size=(1, 8))]
    docs = np.vstack(groups).astype(np.float32)
    table = retrieval_table(docs, docs[judged.exclude], judged, [8], k=4, rounds=50, latency=False)
    full = table.iloc[0]
    assert full["recall_at_k"] == 1.0 and full["ndcg_at_10"] == pytest.approx(1.0)


def test_intervals_cover_the_true_mean_at_their_rate():
    rng = np.random.default_rng(3)
    truth, queries, repeats = 0.6, 150, 300
    weights = bootstrap_weights(queries, rounds=500, seed=1)
    covered = 0
    for _ in range(repeats):
        sample = (rng.random(queries) < truth).astype(float)
        low, high = interval(weights @ sample / queries)
        covered += low <= truth <= high
    assert 0.91 <= covered / repeats <= 0.985


def _decision_table() -> pd.DataFrame:
    rows = [
        (256, "float32", 1024, 0.50),
        (256, "int8", 256, 0.49),
        (64, "float32", 256, 0.45),
        (64, "int8", 64, 0.48),
        (64, "binary", 8, 0.30),
        (32, "binary", 4, 0.35),
    ]
    table = pd.DataFrame(rows, columns=["dim", "precision", "bytes_per_vector", "ndcg_at_10"])
    share = table["ndcg_at_10"] / 0.5
    return table.assign(
        k=10,
        rescored=0,
        ndcg_at_10_share=share,
        ndcg_at_10_share_low=share - 0.02,
        ndcg_at_10_share_high=share + 0.01,
    )


def test_pareto_front_keeps_only_the_unbeaten():
    front = pareto_front(_decision_table())
    # 64 float32 is beaten by 256 int8 (same bytes, better), 64 binary by 32 binary
    assert front.tolist() == [True, True, False, True, False, True]


def test_recommendation_is_the_smallest_within_the_loss():
    pick = recommend(_decision_table(), keep=0.95, n_docs=1000)
    assert (pick.dim, pick.precision) == (64, "int8")
    assert pick.sentence.startswith("64 dims int8 keeps 96% [94%–97%] of nDCG@10 at 1/16")
    assert pick.storage == {"corpus": 64_000, "1m": 64_000_000, "100m": 6_400_000_000}
    assert (recommend(_decision_table(), keep=0.6, n_docs=10).precision) == "binary"
    strict = recommend(_decision_table(), keep=1.0, n_docs=10)
    assert (strict.dim, strict.precision) == (256, "float32")
    assert strict.sentence.startswith("No smaller configuration keeps 100%")


def test_binary_rescore_says_that_the_float32_vectors_are_kept_on_disk():
    table = _decision_table()
    rescored = table.iloc[[4]].assign(
        precision="binary+rescore",
        rescored=40,
        ndcg_at_10=0.5,
        ndcg_at_10_share=1.0,
        ndcg_at_10_share_low=0.98,
        ndcg_at_10_share_high=1.01,
    )
    table = pd.concat([table, rescored], ignore_index=True)
    pick = recommend(table, keep=0.99, n_docs=1000)
    assert (pick.dim, pick.precision) == (64, "binary+rescore")
    assert pick.sentence == (
        "64 dims binary+rescore, 40 candidates rescored keeps 100% [98%–101%] of nDCG@10 at 1/128 "
        "of the bytes in memory (8 B instead of 1 KB per vector): 8 KB for these 1,000 "
        "documents, 8 MB for 1M, 800 MB for 100M; the float32 vectors of 64 dims (256 B per "
        "vector) are kept on disk as well, to rescore the candidates."
    )


def test_a_share_of_the_bytes_that_is_no_whole_fraction_is_a_percentage():
    table = _decision_table().assign(ndcg_at_10_share=[1.0, 0.5, 0.5, 0.5, 0.5, 0.5])
    table.loc[2, ["dim", "bytes_per_vector"]] = (192, 768)
    pick = recommend(table.iloc[[0, 2]], keep=0.5, n_docs=10)
    assert pick.dim == 192 and " at 75% of the bytes " in pick.sentence


def test_the_proxy_sentence_and_the_storage_of_a_choice(planted_table):
    sentence = proxy_sentence(planted_table)
    assert sentence.startswith("Agreement misleads most at 64 dims binary: it returns")
    assert "more than agreement suggests" in sentence
    rows = storage_rows(64, "binary+rescore", 1000)
    assert rows["index in memory"].tolist()[0] == "8 KB"  # 8 bytes of sign bits per document
    assert rows["stored in all"].tolist()[1] == "264 MB"  # and 256 bytes of float32 beside them


def test_no_answer_found_at_full_size_is_said_not_recommended():
    table = _decision_table().assign(ndcg_at_10=0.0, ndcg_at_10_share=np.nan)
    pick = recommend(table, keep=0.9, n_docs=10)
    assert pick.sentence.startswith("At the full size the queries find none of their answers")
    assert (pick.dim, pick.precision) == (256, "float32")


def test_agreement_is_not_set_against_quality_when_the_full_size_finds_nothing():
    docs, _, judged = _planted(n=60, dim=16, queries=6)
    asked = -docs[judged.row]  # each query points away from its answer: never at rank 1
    table = retrieval_table(docs, asked, judged, [16, 8], k=1, latency=False, rounds=50)
    assert table["recall_at_k"].iloc[0] == 0.0 and table["recall_at_k_share"].isna().all()
    assert disagreement(table, "recall_at_k") is None
    assert proxy_sentence(table, "recall_at_k") == (
        "At the full size the queries find none of their answers (recall@1 is 0), so there is "
        "no quality kept to set against agreement."
    )
