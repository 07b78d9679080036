"""Tests for core.analysis.fidelity and core.viz.fidelity_plots on synthetic embeddings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ortho_group, spearmanr

from core.analysis import fidelity
from core.analysis import knn as knn_module
from core.analysis.fidelity import (
    Recommendation,
    compare_orderings,
    fidelity_table,
    partition_ari,
    quantized_vectors,
    recommend_dimension,
    similarity_spearman,
    storage_table,
    vector_bytes,
)
from core.analysis.knn import Neighbours, exact_neighbours, knn
from core.analysis.measures import unit_prefixes
from core.viz.fidelity_plots import (
    PRECISION_COLOURS,
    fidelity_curves,
    latency_figure,
    precision_recall_figure,
    storage_figure,
)

DIM = 64
DIMS = [64, 32, 16, 8, 4]


def planted_hierarchy(
    parents: int = 4, children: int = 3, per_child: int = 25, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Matryoshka-like vectors: parent topic + child topic + noise, with dimension scales decaying
    geometrically so nearly all information sits in the first dims. Returns (vectors, child ids)."""
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for p, parent in enumerate(rng.normal(scale=3.0, size=(parents, DIM))):
        for c in range(children):
            child = parent + rng.normal(scale=1.5, size=DIM)
            rows.append(child + rng.normal(size=(per_child, DIM)))
            labels += [p * children + c] * per_child
    vectors = np.vstack(rows) * 0.8 ** np.arange(DIM)
    return vectors.astype(np.float32), np.asarray(labels)


@pytest.fixture(scope="module")
def matryoshka() -> np.ndarray:
    return planted_hierarchy()[0]


@pytest.fixture(scope="module")
def rotated(matryoshka: np.ndarray) -> np.ndarray:
    """The non-MRL control: same geometry, information spread over every dim by a rotation."""
    rotation = ortho_group.rvs(DIM, random_state=1)
    return (matryoshka @ rotation).astype(np.float32)


def brute_force_neighbours(vectors: np.ndarray, dim: int, k: int) -> list[list[int]]:
    """Each row's k most cosine-similar other rows at `dim`, most similar first, ties to the
    lower index, one similarity at a time."""
    unit = [row / np.linalg.norm(row) for row in vectors[:, :dim].astype(np.float64)]
    lists = []
    for i, a in enumerate(unit):
        sims = [(float(a @ b), j) for j, b in enumerate(unit) if j != i]
        sims.sort(key=lambda pair: (-pair[0], pair[1]))
        lists.append([j for _, j in sims[:k]])
    return lists


def brute_force_recall(vectors: np.ndarray, dim: int, k: int) -> float:
    full = brute_force_neighbours(vectors, vectors.shape[1], k)
    small = brute_force_neighbours(vectors, dim, k)
    return float(np.mean([len(set(f) & set(s)) / k for f, s in zip(full, small, strict=True)]))


def fidelity_row(table: pd.DataFrame, dim: int) -> pd.Series:
    return table.set_index("dim").loc[dim]


def hand_table(recalls: dict[int, float], k: int = 10) -> pd.DataFrame:
    return pd.DataFrame({"dim": list(recalls), "k": k, "recall_at_k": list(recalls.values())})


# --- metrics ---------------------------------------------------------------------------------


def test_every_metric_is_exactly_one_at_full_size(matryoshka: np.ndarray) -> None:
    labels = planted_hierarchy()[1]
    assert similarity_spearman(matryoshka, DIM) == 1.0
    assert partition_ari(labels, labels) == 1.0
    row = fidelity_row(fidelity_table(matryoshka, [16], communities={DIM: labels}), DIM)
    assert (row["recall_at_k"], row["spearman"], row["ari"]) == (1.0, 1.0, 1.0)


def test_recall_at_small_dim_matches_brute_force_neighbour_sets(matryoshka: np.ndarray) -> None:
    sample = matryoshka[::3]
    expected = brute_force_recall(sample, 4, 5)
    assert 0.2 < expected < 0.95  # a size where truncation really loses neighbours
    table = fidelity_table(sample, [4], k=5, latency=False, quantized=False)
    assert fidelity_row(table, 4)["recall_at_k"] == pytest.approx(expected, abs=1e-12)
    assert (table["recall_queries"] == len(sample)).all()


# --- exact reference above the approximate-kNN limit -------------------------------------------


def test_exact_neighbours_match_brute_force_for_chosen_rows(matryoshka: np.ndarray) -> None:
    rows = np.array([0, 7, 150, 299])
    found = exact_neighbours(unit_prefixes(matryoshka, 8), rows, 6)
    expected = brute_force_neighbours(matryoshka, 8, 6)
    assert found.indices.tolist() == [expected[r] for r in rows]
    assert (np.diff(found.scores, axis=1) <= 0).all()


def test_exact_neighbours_leave_out_the_query_by_index_even_among_duplicates() -> None:
    base = np.random.default_rng(0).normal(size=(6, 8))
    unit = unit_prefixes(np.vstack([base[:1], base]), 8)  # rows 0 and 1 are the same document
    found = exact_neighbours(unit, np.array([1, 0, 3]), 1)
    assert found.indices.tolist() == [[0], [1], [brute_force_neighbours(unit, 8, 1)[3][0]]]
    assert found.scores[:2] == pytest.approx(1.0)


def test_recall_above_the_exact_limit_ignores_approximate_neighbours(
    matryoshka: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(knn_module, "EXACT_KNN_LIMIT", 50)
    sample = matryoshka[::3]  # 100 rows: above the limit, so knn would be approximate
    rng = np.random.default_rng(0)
    approximate = {
        d: Neighbours(rng.integers(0, 100, size=(100, 5)), np.zeros((100, 5), np.float32))
        for d in (DIM, 4)
    }
    table = fidelity_table(sample, [4], k=5, neighbours=approximate, latency=False)
    assert fidelity_row(table, DIM)["recall_at_k"] == 1.0
    expected = brute_force_recall(sample, 4, 5)
    assert fidelity_row(table, 4)["recall_at_k"] == pytest.approx(expected, abs=1e-12)
    assert (table["recall_queries"] == 100).all()
    assert (table["quantized_queries"] == 100).all()


def test_recall_above_the_exact_limit_is_exact_with_duplicate_rows(
    matryoshka: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(knn_module, "EXACT_KNN_LIMIT", 50)
    sample = matryoshka[::3]
    doubled = np.vstack([sample, sample[:30]])  # rows i and 100 + i are the same document
    table = fidelity_table(doubled, [4], k=5, latency=False, quantized=False)
    assert fidelity_row(table, DIM)["recall_at_k"] == 1.0
    expected = brute_force_recall(doubled, 4, 5)
    assert fidelity_row(table, 4)["recall_at_k"] == pytest.approx(expected, abs=1e-12)


def test_recall_above_the_exact_limit_uses_a_seeded_sample_of_queries(
    matryoshka: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(knn_module, "EXACT_KNN_LIMIT", 50)
    sampled = fidelity_table(matryoshka, [8], latency=False, recall_sample=120)
    assert (sampled["recall_queries"] == 120).all() and (sampled["quantized_queries"] == 120).all()
    pd.testing.assert_frame_equal(
        sampled, fidelity_table(matryoshka, [8], latency=False, recall_sample=120)
    )
    every_row = brute_force_recall(matryoshka, 8, 10)
    assert fidelity_row(sampled, 8)["recall_at_k"] == pytest.approx(every_row, abs=0.05)


def test_spearman_matches_scipy_over_all_pairs_for_small_corpora(rotated: np.ndarray) -> None:
    sample = rotated[:40].astype(np.float64)
    unit = sample / np.linalg.norm(sample, axis=1, keepdims=True)
    prefix = sample[:, :8] / np.linalg.norm(sample[:, :8], axis=1, keepdims=True)
    i, j = np.triu_indices(40, 1)
    expected = spearmanr((unit @ unit.T)[i, j], (prefix @ prefix.T)[i, j]).statistic
    assert similarity_spearman(sample, 8) == pytest.approx(expected, abs=1e-5)


def test_spearman_on_a_seeded_pair_sample_is_repeatable_and_close_to_all_pairs(
    rotated: np.ndarray,
) -> None:
    everything = similarity_spearman(rotated, 8, pairs=10**6)
    sampled = similarity_spearman(rotated, 8, pairs=3_000, seed=5)
    assert sampled == similarity_spearman(rotated, 8, pairs=3_000, seed=5)
    assert sampled != everything
    assert sampled == pytest.approx(everything, abs=0.05)


def test_spearman_is_nan_when_similarities_have_no_spread() -> None:
    same_direction = np.tile([[1.0, 2.0, 3.0]], (5, 1))
    assert math.isnan(similarity_spearman(same_direction, 2))


def test_ari_drops_when_a_partition_is_shuffled() -> None:
    labels = np.repeat(np.arange(4), 20)
    shuffled = np.random.default_rng(0).permutation(labels)
    assert partition_ari(labels, shuffled) < 0.1


# --- storage ---------------------------------------------------------------------------------


def test_vector_bytes_follow_each_precision_exactly() -> None:
    precisions = ("float32", "float16", "int8", "binary")
    assert [vector_bytes(256, p) for p in precisions] == [1024, 512, 256, 32]
    assert vector_bytes(100, "binary") == 13
    with pytest.raises(ValueError, match="unknown precision"):
        vector_bytes(8, "bfloat8")


def test_storage_table_totals_scale_with_corpus_size() -> None:
    table = storage_table([128, 256], n_docs=1_000)
    assert list(table["dim"]) == [256] * 4 + [128] * 4
    row = table[(table["dim"] == 256) & (table["precision"] == "binary")].iloc[0]
    assert row["bytes_per_vector"] == 32
    assert row["bytes_corpus"] == 32_000
    assert row["bytes_1m"] == 32_000_000
    assert row["bytes_100m"] == 3_200_000_000


# --- latency and the table -------------------------------------------------------------------


def test_fidelity_table_latency_is_positive_and_finite(matryoshka: np.ndarray) -> None:
    table = fidelity_table(matryoshka, [16], pairs=100, quantized=False)
    timed = table[["latency_ms", "latency_int8_ms", "latency_binary_ms"]].to_numpy()
    assert np.isfinite(timed).all() and (timed > 0).all()


def test_fidelity_table_times_single_searches_for_the_tables_k(
    matryoshka: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    searches = []

    def fake_single(index, queries, depth, *, exclude=None, singles=10, repeats=3):
        searches.append((index.precision, depth, exclude.tolist(), singles, repeats))
        return np.arange(1.0, 4.0) * len(searches)  # median: 2 ms × the call's number

    monkeypatch.setattr(fidelity, "single_query_ms", fake_single)
    table = fidelity_table(matryoshka[:6], [4], k=10, quantized=False, measure="dot")
    assert list(table["k"]) == [5, 5]  # only 5 other rows
    # each precision's index, every one of the 6 rows (at most 10 queries) searched on its own,
    # left out of its own results
    assert [s[:2] for s in searches] == [("float32", 5), ("int8", 5), ("binary", 5)] * 2
    assert all(sorted(s[2]) == list(range(6)) and s[3:] == (6, 3) for s in searches)
    assert table["latency_ms"].tolist() == [2.0, 8.0]
    assert table["latency_int8_ms"].tolist() == [4.0, 10.0]
    assert table["latency_binary_ms"].tolist() == [6.0, 12.0]


def test_fidelity_table_has_one_row_per_dim_largest_first(matryoshka: np.ndarray) -> None:
    labels = planted_hierarchy()[1]
    communities = {DIM: labels, 8: np.random.default_rng(0).permutation(labels)}
    table = fidelity_table(matryoshka, [8, 16], communities=communities, latency=False)
    assert list(table["dim"]) == [64, 16, 8]
    assert list(table.columns) == [
        "dim",
        "k",
        "recall_at_k",
        "recall_queries",
        "recall_int8",
        "recall_binary",
        "quantized_queries",
        "spearman",
        "ari",
        "bytes_float32",
        "bytes_float16",
        "bytes_int8",
        "bytes_binary",
        "latency_ms",
        "latency_int8_ms",
        "latency_binary_ms",
    ]
    assert math.isnan(fidelity_row(table, 16)["ari"])  # no communities given for 16
    assert fidelity_row(table, 8)["ari"] < 1.0
    assert fidelity_row(table, 8)["bytes_float32"] == 32
    assert table[["latency_ms", "latency_int8_ms", "latency_binary_ms"]].isna().all().all()


def test_fidelity_table_reuses_given_neighbours(matryoshka: np.ndarray) -> None:
    given = {d: knn(unit_prefixes(matryoshka, d), 10) for d in (DIM, 8)}
    reused = fidelity_table(matryoshka, [8], neighbours=given, latency=False)
    fresh = fidelity_table(matryoshka, [8], latency=False)
    pd.testing.assert_frame_equal(reused, fresh)
    wrong_k = {DIM: given[DIM], 8: knn(unit_prefixes(matryoshka, 8), 5)}
    with pytest.raises(ValueError, match="same k"):
        fidelity_table(matryoshka, [8], neighbours=wrong_k, latency=False)


def test_fidelity_table_without_communities_leaves_ari_empty(matryoshka: np.ndarray) -> None:
    table = fidelity_table(matryoshka, [16], latency=True)
    assert table["ari"].isna().all()
    assert (table["latency_ms"] > 0).all()


def test_fidelity_table_rejects_sizes_outside_the_vectors(matryoshka: np.ndarray) -> None:
    with pytest.raises(ValueError, match="dims must be in"):
        fidelity_table(matryoshka, [128], latency=False)
    with pytest.raises(ValueError, match="full size"):
        fidelity_table(matryoshka, [8], communities={8: np.zeros(300)}, latency=False)


# --- quantized precisions ------------------------------------------------------------------


@pytest.fixture(scope="module")
def quantized(matryoshka: np.ndarray) -> pd.DataFrame:
    return fidelity_table(matryoshka, DIMS, latency=False)


def test_quantized_recalls_are_shares(quantized: pd.DataFrame) -> None:
    recalls = quantized[["recall_at_k", "recall_int8", "recall_binary"]]
    assert ((recalls >= 0) & (recalls <= 1)).all().all()
    assert (quantized["quantized_queries"] == 300).all()


def test_int8_recall_stays_close_to_float32_and_binary_loses_more(quantized: pd.DataFrame) -> None:
    by_dim = quantized.set_index("dim")
    assert (by_dim["recall_int8"] - by_dim["recall_at_k"]).abs().max() < 0.05
    assert by_dim.loc[DIM, "recall_int8"] > 0.95
    assert (by_dim["recall_binary"] < by_dim["recall_at_k"] - 0.05).all()


def test_binary_recall_with_every_code_equal_is_the_chance_rate() -> None:
    positive = np.abs(np.random.default_rng(0).normal(size=(40, 16))) + 0.1  # one sign pattern
    table = fidelity_table(positive, [8], k=5, latency=False)
    assert table["recall_binary"].to_numpy() == pytest.approx(5 / 39)  # not an artefact of order


def test_quantized_vectors_follow_the_stored_codes(matryoshka: np.ndarray) -> None:
    unit = unit_prefixes(matryoshka, 16)
    int8 = quantized_vectors(unit, "int8")
    assert np.abs(int8 - unit).max() < 0.02
    assert np.linalg.norm(int8, axis=1) == pytest.approx(1.0, abs=1e-5)
    binary = quantized_vectors(unit, "binary")
    assert set(np.unique(binary)) <= {-1.0, 1.0}
    assert ((binary > 0) == (unit > 0)).all()
    with pytest.raises(ValueError, match="unknown precision"):
        quantized_vectors(unit, "float16")


def test_quantized_recall_can_be_turned_off(matryoshka: np.ndarray) -> None:
    table = fidelity_table(matryoshka, [8], latency=False, quantized=False)
    assert table[["recall_int8", "recall_binary"]].isna().all().all()
    assert (table["quantized_queries"] == 0).all()


# --- recommendation --------------------------------------------------------------------------


def test_recommendation_picks_the_smallest_dim_meeting_the_share() -> None:
    table = hand_table({256: 1.0, 128: 0.97, 64: 0.91, 32: 0.7, 16: 0.95})
    rec = recommend_dimension(table.iloc[:4], min_recall_share=0.9)
    assert (rec.dim, rec.full_dim, rec.saving_share) == (64, 256, 0.75)
    assert rec.sentence == (
        "64 dims keep 91% of full-size 10-NN neighbours (at least 90% asked) and need 1/4 of "
        "the bytes of 256 dims: 256 B instead of 1 KB per vector as float32."
    )
    assert recommend_dimension(table, min_recall_share=0.9).dim == 16  # smallest, not first gap


def test_a_recommendation_far_below_the_full_size_says_how_much_it_stores() -> None:
    rec = recommend_dimension(hand_table({4096: 1.0, 8: 0.95}), min_recall_share=0.9)
    assert rec.dim == 8 and "100%" not in rec.sentence
    assert "need 1/512 of the bytes of 4096 dims: 32 B instead of 16.4 KB" in rec.sentence


def test_recommendation_counts_a_recall_exactly_at_the_share() -> None:
    rec = recommend_dimension(hand_table({64: 1.0, 32: 0.9, 16: 0.5}), min_recall_share=0.9)
    assert rec.dim == 32


def test_recommendation_says_when_only_the_full_size_qualifies() -> None:
    rec = recommend_dimension(hand_table({256: 1.0, 128: 0.85, 64: 0.6}))
    assert rec == Recommendation(
        dim=256,
        recall=1.0,
        full_dim=256,
        saving_share=0.0,
        sentence="No size below 256 dims keeps at least 90% of full-size 10-NN neighbours "
        "(best: 128 dims with 85%); keep the full size.",
    )
    alone = recommend_dimension(hand_table({256: 1.0}))
    assert alone.dim == 256 and "Only the full size" in alone.sentence


def test_recommendation_refuses_a_table_with_two_orderings() -> None:
    twice = pd.concat([hand_table({64: 1.0, 32: 0.9})] * 2)
    with pytest.raises(ValueError, match="one ordering"):
        recommend_dimension(twice)


# --- orderings: MRL vs rotated control ---------------------------------------------------------


def test_native_truncation_is_already_good_on_matryoshka_like_vectors(
    matryoshka: np.ndarray,
) -> None:
    table = fidelity_table(matryoshka, [8], latency=False, quantized=False)
    assert fidelity_row(table, 8)["recall_at_k"] > 0.85
    assert similarity_spearman(matryoshka, 8) > 0.95


def test_pca_ordering_rescues_truncation_of_the_rotated_control(rotated: np.ndarray) -> None:
    table, recs = compare_orderings(rotated, DIMS, k=10, pairs=5_000)
    native = table[table["ordering"] == "native"].set_index("dim")
    pca = table[table["ordering"] == "pca"].set_index("dim")
    assert pca.loc[8, "recall_at_k"] > native.loc[8, "recall_at_k"] + 0.25
    assert pca.loc[8, "spearman"] > native.loc[8, "spearman"] + 0.2
    assert recs["native"].dim == DIM  # plain truncation of a non-MRL model keeps nothing small
    assert recs["pca"].dim <= 16


def test_compare_orderings_returns_both_orderings_full_size_first(rotated: np.ndarray) -> None:
    table, recs = compare_orderings(rotated, [16], k=5, pairs=2_000)
    assert set(recs) == {"native", "pca"}
    assert list(table["ordering"]) == ["native", "native", "pca", "pca"]
    assert list(table["dim"]) == [64, 16, 64, 16]
    assert table.columns[0] == "ordering"
    assert (table[table["dim"] == DIM]["recall_at_k"] == 1.0).all()
    assert table["latency_ms"].isna().all()


# --- figures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compared(rotated: np.ndarray) -> pd.DataFrame:
    return compare_orderings(rotated, [32, 16, 8], pairs=2_000, latency=True)[0]


def test_fidelity_curves_draw_one_line_per_metric_and_ordering(compared: pd.DataFrame) -> None:
    fig = fidelity_curves(compared, title="rotated", threshold=0.9).to_dict()
    traces = fig["data"]
    assert len(traces) == 4  # recall and Spearman × native and PCA; ARI has no values
    assert {t["line"]["dash"] for t in traces if t["name"].endswith("pca")} == {"dash"}
    assert {t["line"]["dash"] for t in traces if t["name"].endswith("native")} == {"solid"}
    assert len({t["line"]["color"] for t in traces}) == 2
    assert list(traces[0]["x"]) == [8, 16, 32, 64]
    assert traces[0]["name"] == "kNN recall@10 · native"
    assert fig["layout"]["xaxis"]["type"] == "log"
    assert list(fig["layout"]["xaxis"]["tickvals"]) == [8, 16, 32, 64]
    assert fig["layout"]["shapes"][0]["y0"] == 0.9


def test_fidelity_curves_without_orderings_include_ari_when_measured(
    matryoshka: np.ndarray,
) -> None:
    labels = planted_hierarchy()[1]
    table = fidelity_table(matryoshka, [16], communities={DIM: labels, 16: labels}, latency=False)
    fig = fidelity_curves(table).to_dict()
    assert [t["name"] for t in fig["data"]] == [
        "kNN recall@10",
        "Spearman of similarities",
        "ARI vs full-size communities",
    ]
    assert "shapes" not in fig["layout"] or not fig["layout"]["shapes"]


def test_storage_figure_groups_bars_by_precision_on_a_log_axis(compared: pd.DataFrame) -> None:
    fig = storage_figure(compared).to_dict()
    assert [t["name"] for t in fig["data"]] == ["float32", "float16", "int8", "binary"]
    assert list(fig["data"][0]["x"]) == ["64", "32", "16", "8"]
    assert list(fig["data"][0]["y"]) == [256, 128, 64, 32]
    assert fig["layout"]["yaxis"]["type"] == "log"
    assert fig["layout"]["barmode"] == "group"
    totals = storage_figure(compared, n_docs=1_000_000).to_dict()
    assert list(totals["data"][3]["y"]) == [8_000_000, 4_000_000, 2_000_000, 1_000_000]


def test_precision_recall_figure_draws_one_line_per_measured_precision(
    quantized: pd.DataFrame, compared: pd.DataFrame
) -> None:
    fig = precision_recall_figure(quantized, title="precisions").to_dict()
    traces = fig["data"]
    assert [t["name"] for t in traces] == ["float32", "int8", "binary"]
    assert [t["line"]["color"] for t in traces] == [
        PRECISION_COLOURS[p] for p in ("float32", "int8", "binary")
    ]
    assert list(traces[0]["x"]) == [4, 8, 16, 32, 64]
    assert list(traces[2]["y"]) == quantized.sort_values("dim")["recall_binary"].tolist()
    assert fig["layout"]["xaxis"]["type"] == "log"
    assert fig["layout"]["yaxis"]["title"]["text"] == "recall@10"
    unquantized = precision_recall_figure(compared).to_dict()["data"]
    assert [t["name"] for t in unquantized] == ["float32 · native", "float32 · pca"]


def test_latency_figure_plots_ms_per_query_against_dims(compared: pd.DataFrame) -> None:
    fig = latency_figure(compared).to_dict()
    names = [t["name"] for t in fig["data"]]
    assert names == [f"{p} · {o}" for o in ("native", "pca") for p in ("float32", "int8", "binary")]
    assert list(fig["data"][0]["x"]) == [8, 16, 32, 64]
    assert all(y > 0 for t in fig["data"] for y in t["y"])
    assert fig["layout"]["xaxis"]["type"] == "log"


def test_latency_figure_of_an_older_table_draws_float32_alone(compared: pd.DataFrame) -> None:
    older = compared.drop(columns=["latency_int8_ms", "latency_binary_ms"])
    names = [t["name"] for t in latency_figure(older).to_dict()["data"]]
    assert names == ["float32 · native", "float32 · pca"]


def test_expected_recall_split_between_threads_is_the_one_thread_value(monkeypatch):
    rng = np.random.default_rng(3)
    points = quantized_vectors(rng.normal(size=(500, 16)).astype(np.float32), "binary")
    rows = np.arange(0, 500, 3)
    reference = exact_neighbours(points, rows, 10, "cosine").indices
    monkeypatch.setattr(knn_module, "_BLOCK_CELLS", 500 * 7)  # blocks of 7 queries
    values = {}
    for workers in (1, 2, 3):
        monkeypatch.setattr(fidelity, "cores", lambda workers=workers: workers)
        values[workers] = fidelity._expected_recall(points, rows, reference, "cosine")
    assert values[2] == pytest.approx(values[1], abs=1e-12) == values[3]
    assert 0.2 < values[1] < 1  # binary codes of random points tie often, and miss some
