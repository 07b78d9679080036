"""Two documents across sizes, checked against numpy brute force."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis.pairs import alike_note, compare_pair, compare_typed, pair_table
from core.runtime.errors import ExplorerError

DIMS = [16, 8, 4]


def _vectors(n: int = 40, dim: int = 16, seed: int = 0) -> np.ndarray:
    """Rows of unequal lengths, so the three measures differ."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)) * rng.uniform(0.5, 2.0, size=(n, 1))
    return x.astype(np.float32)


def _brute_scores(query: np.ndarray, stored: np.ndarray, measure: str) -> np.ndarray:
    """Scores (higher = closer) of one query against rows, in float64."""
    q, s = query.astype(np.float64), stored.astype(np.float64)
    if measure == "cosine":
        return (s @ q) / (np.linalg.norm(s, axis=1) * np.linalg.norm(q))
    if measure == "dot":
        return s @ q
    return -np.linalg.norm(s - q, axis=1)


def _brute_rank(points: np.ndarray, a: int, b: int, measure: str) -> int:
    """B's place in A's list by a full sort of every other row; tied rows share the best place."""
    others = np.delete(np.arange(len(points)), a)
    found = _brute_scores(points[a], points[others], measure)
    order = np.argsort(-found, kind="stable")
    ordered = found[order]
    pair = found[others.tolist().index(b)]
    return 1 + int(np.flatnonzero(np.isclose(ordered, pair, rtol=0, atol=1e-9))[0])


def _row(pairs, dim: int, measure: str):
    return pairs[(pairs["dim"] == dim) & (pairs["measure"] == measure)].iloc[0]


def test_values_match_brute_force_for_every_measure_and_size():
    x = _vectors()
    pairs = compare_pair(x, DIMS, 3, 11)
    assert len(pairs) == len(DIMS) * 3
    assert pairs["dim"].tolist() == [16] * 3 + [8] * 3 + [4] * 3
    for dim in DIMS:
        a, b = x[3, :dim].astype(np.float64), x[11, :dim].astype(np.float64)
        expected = {
            "cosine": a @ b / (np.linalg.norm(a) * np.linalg.norm(b)),
            "dot": a @ b,
            "euclidean": np.linalg.norm(a - b),  # shown as a positive distance
        }
        for measure, value in expected.items():
            assert _row(pairs, dim, measure)["value"] == pytest.approx(value, rel=1e-5, abs=1e-6)


def test_ranks_match_a_brute_force_sort_in_both_directions():
    x = _vectors()
    pairs = compare_pair(x, DIMS, 3, 11)
    for dim in DIMS:
        for measure in ("cosine", "dot", "euclidean"):
            row = _row(pairs, dim, measure)
            assert row["rank_b_in_a"] == _brute_rank(x[:, :dim], 3, 11, measure)
            assert row["rank_a_in_b"] == _brute_rank(x[:, :dim], 11, 3, measure)
    assert pairs["rank_b_in_a"].min() >= 1 and pairs["rank_b_in_a"].max() <= len(x) - 1


def test_copies_of_b_tie_with_it_instead_of_pushing_it_down():
    x = _vectors()
    without = compare_pair(x, DIMS, 3, 11)
    copies = np.vstack([x, x[[11, 11]]])  # two exact copies of B
    pairs = compare_pair(copies, DIMS, 3, 11)
    assert pairs["rank_b_in_a"].tolist() == without["rank_b_in_a"].tolist()
    for dim in DIMS:
        for measure in ("cosine", "dot", "euclidean"):
            assert _row(pairs, dim, measure)["rank_b_in_a"] == _brute_rank(
                copies[:, :dim], 3, 11, measure
            )


def test_a_copy_of_a_counts_as_its_neighbour():
    """Only A's own row is left out: a duplicate of A is the nearest document to A."""
    x = _vectors()
    pairs = compare_pair(np.vstack([x, x[[3]]]), [16], 3, 11)
    alone = compare_pair(x, [16], 3, 11)
    assert (pairs["rank_b_in_a"] == alone["rank_b_in_a"] + 1).all()


def test_typed_texts_rank_as_if_added_to_the_corpus():
    x = _vectors()
    rng = np.random.default_rng(1)
    typed = (x[[5, 9]] + rng.normal(scale=0.3, size=(2, 16))).astype(np.float32)
    pairs = compare_typed(x, DIMS, typed)
    stacked = np.vstack([x, typed])
    n = len(x)
    for dim in DIMS:
        for measure in ("cosine", "dot", "euclidean"):
            row = _row(pairs, dim, measure)
            pair = _brute_scores(typed[0, :dim], typed[[1], :dim], measure)[0]
            shown = -pair if measure == "euclidean" else pair
            assert row["value"] == pytest.approx(shown, rel=1e-5)
            # 1 + the corpus documents strictly closer to A than B is
            closer = _brute_scores(typed[0, :dim], x[:, :dim], measure) > pair + 1e-9
            assert row["rank_b_in_a"] == 1 + closer.sum()
            assert row["rank_a_in_b"] == _brute_rank(stacked[:, :dim], n + 1, n, measure)


def test_typed_text_equal_to_a_document_ties_with_it():
    x = _vectors()
    typed = np.vstack([x[3], x[11]])  # text A reads like document 3, text B like document 11
    typed_ranks = compare_typed(x, DIMS, typed)
    document_ranks = compare_pair(x, DIMS, 3, 11)
    assert np.allclose(typed_ranks["value"], document_ranks["value"], rtol=1e-5)
    # under cosine and euclidean distance document 3 (identical to text A) is A's nearest, so B
    # stands one place further down than in document 3's own list; document 11 ties with B
    for measure in ("cosine", "euclidean"):
        typed_rank = typed_ranks.loc[typed_ranks["measure"] == measure, "rank_b_in_a"]
        document_rank = document_ranks.loc[document_ranks["measure"] == measure, "rank_b_in_a"]
        assert (typed_rank.to_numpy() == document_rank.to_numpy() + 1).all()


def test_planted_dot_product_shrinks_with_the_size_while_cosine_stays():
    """Unit vectors whose length is spread over every dimension: a prefix of d of 16 has length
    about sqrt(d / 16), so the dot product of two close ones falls with the size."""
    rng = np.random.default_rng(2)
    base = np.sign(rng.normal(size=16))
    a = base / 4
    b = (base + rng.normal(scale=0.05, size=16)) / np.linalg.norm(base)
    x = np.vstack([_vectors(20) / 10, a, b / np.linalg.norm(b)]).astype(np.float32)
    pairs = compare_pair(x, DIMS, 20, 21)
    dot = pairs[pairs["measure"] == "dot"].set_index("dim")["value"]
    cosine = pairs[pairs["measure"] == "cosine"].set_index("dim")["value"]
    assert dot[16] > dot[8] > dot[4]
    assert dot[16] == pytest.approx(1.0, abs=0.01)
    assert dot[4] == pytest.approx(0.25, abs=0.02)
    assert cosine.min() > 0.99  # the direction is kept at every size


def test_alike_marks_sizes_where_every_prefix_has_the_same_length():
    unit = _vectors()
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    pairs = compare_pair(unit, DIMS, 3, 11)
    assert pairs.groupby("dim")["alike"].all().to_dict() == {4: False, 8: False, 16: True}
    full = pairs[pairs["dim"] == 16]
    assert full["rank_b_in_a"].nunique() == 1 and full["rank_a_in_b"].nunique() == 1
    assert alike_note(pairs).startswith("At 16 dims every prefix has the same length")

    # blocks 0-4, 4-8 and 8-16 of every row have fixed lengths, so every prefix has length sqrt(d)
    rng = np.random.default_rng(3)
    blocks = [rng.normal(size=(30, width)) for width in (4, 4, 8)]
    even = np.hstack([b / np.linalg.norm(b, axis=1, keepdims=True) * 2 for b in blocks[:2]])
    even = np.hstack([even, blocks[2] / np.linalg.norm(blocks[2], axis=1, keepdims=True) * 8**0.5])
    everywhere = compare_pair(even.astype(np.float32), DIMS, 0, 1)
    assert everywhere["alike"].all()
    assert alike_note(everywhere).startswith("At 16, 8 and 4 dims")
    assert (everywhere.groupby("dim")["rank_b_in_a"].nunique() == 1).all()

    assert alike_note(compare_pair(_vectors(), DIMS, 3, 11)).startswith("At no size")


def test_pair_table_has_one_row_per_size_largest_first():
    table = pair_table(compare_pair(_vectors(), DIMS, 3, 11))
    assert table["dims"].tolist() == DIMS
    assert list(table.columns[:4]) == [
        "dims",
        "Cosine similarity",
        "Dot product",
        "Euclidean distance",
    ]
    assert "B in A's list (dot)" in table.columns and "A in B's list (euclidean)" in table.columns
    assert len(table.columns) == 1 + 3 + 6
    assert all(np.issubdtype(t, np.number) for t in table.dtypes)


def test_the_same_document_twice_is_refused():
    with pytest.raises(ExplorerError, match="two different documents"):
        compare_pair(_vectors(), DIMS, 3, 3)
