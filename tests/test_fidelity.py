"""Tests for core.analysis.fidelity and core.viz.fidelity_plots on synthetic embeddings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ortho_group, spearmanr

from core.analysis.fidelity import (
    Recommendation,
    compare_orderings,
    fidelity_table,
    human_bytes,
    partition_ari,
    recall_at_k,
    recommend_dimension,
    search_latency,
    similarity_spearman,
    storage_table,
    vector_bytes,
)
from core.analysis.knn import knn, truncate
from core.viz.fidelity_plots import fidelity_curves, latency_figure, storage_figure

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


def brute_force_recall(vectors: np.ndarray, dim: int, k: int) -> float:
    def neighbour_sets(x: np.ndarray) -> list[set[int]]:
        unit = [row / np.linalg.norm(row) for row in x]
        sets = []
        for i, a in enumerate(unit):
            sims = [(float(a @ b), j) for j, b in enumerate(unit) if j != i]
            sims.sort(reverse=True)
            sets.append({j for _, j in sims[:k]})
        return sets

    full = neighbour_sets(vectors.astype(np.float64))
    small = neighbour_sets(vectors[:, :dim].astype(np.float64))
    return float(np.mean([len(f & s) / k for f, s in zip(full, small, strict=True)]))


def fidelity_row(table: pd.DataFrame, dim: int) -> pd.Series:
    return table.set_index("dim").loc[dim]


def hand_table(recalls: dict[int, float], k: int = 10) -> pd.DataFrame:
    return pd.DataFrame({"dim": list(recalls), "k": k, "recall_at_k": list(recalls.values())})


# --- metrics ---------------------------------------------------------------------------------


def test_every_metric_is_exactly_one_at_full_size(matryoshka: np.ndarray) -> None:
    labels = planted_hierarchy()[1]
    assert recall_at_k(matryoshka, DIM, 10) == 1.0
    assert similarity_spearman(matryoshka, DIM) == 1.0
    assert partition_ari(labels, labels) == 1.0
    row = fidelity_row(fidelity_table(matryoshka, [16], communities={DIM: labels}), DIM)
    assert (row["recall_at_k"], row["spearman"], row["ari"]) == (1.0, 1.0, 1.0)


def test_recall_at_small_dim_matches_brute_force_neighbour_sets(matryoshka: np.ndarray) -> None:
    sample = matryoshka[::3]
    expected = brute_force_recall(sample, 4, 5)
    assert 0.2 < expected < 0.95  # a size where truncation really loses neighbours
    assert recall_at_k(sample, 4, 5) == pytest.approx(expected, abs=1e-12)


def test_recall_reuses_a_given_reference_and_rejects_a_mismatched_one(
    matryoshka: np.ndarray,
) -> None:
    reference = knn(truncate(matryoshka, DIM), 10)
    assert recall_at_k(matryoshka, 8, 10, reference) == recall_at_k(matryoshka, 8, 10)
    with pytest.raises(ValueError, match="same k"):
        recall_at_k(matryoshka, 8, 5, reference)


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


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1024, "1 KB"),
        (25_600, "26 KB"),
        (999_999, "1 MB"),
        (1_500_000_000, "1.5 GB"),
        (3_200_000_000, "3.2 GB"),
        (102_400_000_000, "102 GB"),
    ],
)
def test_human_bytes_uses_decimal_units(count: int, text: str) -> None:
    assert human_bytes(count) == text


# --- latency and the table -------------------------------------------------------------------


def test_search_latency_is_positive_and_finite(matryoshka: np.ndarray) -> None:
    ms = search_latency(matryoshka, 16, queries=20, repeats=2)
    assert math.isfinite(ms) and ms > 0


def test_fidelity_table_has_one_row_per_dim_largest_first(matryoshka: np.ndarray) -> None:
    labels = planted_hierarchy()[1]
    communities = {DIM: labels, 8: np.random.default_rng(0).permutation(labels)}
    table = fidelity_table(matryoshka, [8, 16], communities=communities, latency=False)
    assert list(table["dim"]) == [64, 16, 8]
    assert list(table.columns) == [
        "dim",
        "k",
        "recall_at_k",
        "spearman",
        "ari",
        "bytes_float32",
        "bytes_float16",
        "bytes_int8",
        "bytes_binary",
        "latency_ms",
    ]
    assert math.isnan(fidelity_row(table, 16)["ari"])  # no communities given for 16
    assert fidelity_row(table, 8)["ari"] < 1.0
    assert fidelity_row(table, 8)["bytes_float32"] == 32
    assert table["latency_ms"].isna().all()


def test_fidelity_table_reuses_given_neighbours(matryoshka: np.ndarray) -> None:
    given = {d: knn(truncate(matryoshka, d), 10) for d in (DIM, 8)}
    reused = fidelity_table(matryoshka, [8], neighbours=given, latency=False)
    fresh = fidelity_table(matryoshka, [8], latency=False)
    pd.testing.assert_frame_equal(reused, fresh)
    wrong_k = {DIM: given[DIM], 8: knn(truncate(matryoshka, 8), 5)}
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


# --- recommendation --------------------------------------------------------------------------


def test_recommendation_picks_the_smallest_dim_meeting_the_share() -> None:
    table = hand_table({256: 1.0, 128: 0.97, 64: 0.91, 32: 0.7, 16: 0.95})
    rec = recommend_dimension(table.iloc[:4], min_recall_share=0.9)
    assert (rec.dim, rec.full_dim, rec.saving_share) == (64, 256, 0.75)
    assert rec.sentence == (
        "64 dims keep 91% of full-size 10-NN neighbours (at least 90% asked) and store 75% less "
        "than 256 dims: 256 B instead of 1 KB per vector as float32."
    )
    assert recommend_dimension(table, min_recall_share=0.9).dim == 16  # smallest, not first gap


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
    assert recall_at_k(matryoshka, 8, 10) > 0.85
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


def test_latency_figure_plots_ms_per_query_against_dims(compared: pd.DataFrame) -> None:
    fig = latency_figure(compared).to_dict()
    assert len(fig["data"]) == 2
    assert list(fig["data"][0]["x"]) == [8, 16, 32, 64]
    assert all(y > 0 for y in fig["data"][0]["y"])
    assert fig["layout"]["xaxis"]["type"] == "log"
