"""Each stored precision's exact index: its kernel ranks as that precision's scores do, its
single-query kernel agrees with its batch one, and its timings and bytes are what they say."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from core.analysis.indexes import (
    PRECISIONS,
    RESCORE_FACTOR,
    BinaryIndex,
    FloatIndex,
    Int8Index,
    build_indexes,
    code_width,
    int8_codes,
    int8_decoded,
    int8_ranges,
    kept_for_rescoring,
    rescore,
    single_query_ms,
    speed,
    timed_search,
)
from core.analysis.measures import MEASURES, prefix_points, scores

INT8_SCORE_TOLERANCE = 1e-5  # the int8 kernel's scores against the decoded points' scores


def _points(n: int = 2000, dim: int = 24, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, dim)) / np.sqrt(np.arange(1, dim + 1))).astype(np.float32)


def _lexsorted(found: np.ndarray, depth: int) -> np.ndarray:
    """Each row's `depth` best columns by score, equal scores to the lower column."""
    columns = np.broadcast_to(np.arange(found.shape[1]), found.shape)
    return np.lexsort((columns, -found), axis=1)[:, :depth]


def test_hamming_ranking_is_the_plus_minus_one_dot_product_ranking_ties_included():
    rng = np.random.default_rng(1)
    stored, asked = rng.normal(size=(3000, 12)), rng.normal(size=(40, 12))  # 2^12 codes: ties
    index = BinaryIndex(stored.astype(np.float32), "cosine")
    signs = np.where(stored > 0, 1.0, -1.0)
    products = np.where(asked > 0, 1.0, -1.0) @ signs.T
    own = rng.integers(0, 3000, size=40)
    excluded = products.copy()
    excluded[np.arange(40), own] = -np.inf
    bits = index.prepare(asked)
    assert (index.search(bits, 25) == _lexsorted(products, 25)).all()
    assert (index.search(bits, 25, own) == _lexsorted(excluded, 25)).all()
    for q in range(40):
        assert (index.search_one(bits[q], 25, int(own[q])) == _lexsorted(excluded, 25)[q]).all()


def test_binary_codes_are_widened_with_zero_bits_that_change_no_distance():
    assert [code_width(b) for b in (1, 3, 4, 5, 12, 17, 24, 32, 33, 64, 65, 128)] == [
        4,
        4,
        4,
        8,
        16,
        20,
        32,
        32,
        64,
        64,
        72,
        128,
    ]
    points = _points(dim=20)  # 20 sign bits: 3 bytes, held as 4
    index = BinaryIndex(points, "cosine")
    assert index.bits.shape == (2000, 4) and not index.bits[:, 3].any()
    signs = np.where(points > 0, 1.0, -1.0)
    assert (
        index.search(index.prepare(points[:30]), 10) == _lexsorted(signs[:30] @ signs.T, 10)
    ).all()


def test_int8_codes_are_sentence_transformers_codes():
    from sentence_transformers import quantize_embeddings

    points = prefix_points(_points(), 16)
    ranges = int8_ranges(points)
    wide = points * 1.5  # queries outside the calibrated ranges are clipped alike
    for given in (points, wide):
        expected = quantize_embeddings(given, "int8", ranges=ranges)
        assert np.array_equal(int8_codes(given, ranges), expected)


@pytest.mark.parametrize("measure", list(MEASURES))
def test_int8_kernel_ranks_as_the_decoded_int8_points(measure):
    points = prefix_points(_points(), 16, measure)
    asked = prefix_points(_points(60, seed=5), 16, measure)
    index = Int8Index(points, measure)
    ranges = int8_ranges(points)
    decoded = int8_decoded(int8_codes(points, ranges), ranges, measure)
    queries = index.prepare(asked)
    expected = scores(queries, decoded, measure)
    # the batch kernel scores the decoded tiles themselves: the very lists of the decoded points
    assert (index.search(queries, 20) == FloatIndex(decoded, measure).search(queries, 20)).all()
    for q in range(len(queries)):
        # the single-query kernel multiplies the int8 codes: equal scores up to rounding, and on
        # these tie-free scores the same lists
        found = index.scores_one(queries[q])
        assert np.abs(found - expected[q]).max() < INT8_SCORE_TOLERANCE
        assert (
            index.search_one(queries[q], 20, exclude=q)
            == index.search(queries[q : q + 1], 20, np.array([q]))[0]
        ).all()


@pytest.mark.parametrize("measure", list(MEASURES))
def test_each_single_query_kernel_returns_its_batch_kernels_lists(measure):
    points = prefix_points(_points(), 16, measure)
    asked = prefix_points(_points(30, seed=7), 16, measure)
    own = np.arange(30) * 7
    for precision, index in build_indexes(points, PRECISIONS, measure).items():
        queries = index.prepare(asked)
        batch = index.search(queries, 10, own)
        for q in range(30):
            one = (queries[0][q], queries[1][q]) if isinstance(queries, tuple) else queries[q]
            assert (index.search_one(one, 10, int(own[q])) == batch[q]).all(), precision


def test_binary_rescore_reorders_its_hamming_candidates_by_float32_scores():
    points = prefix_points(_points(), 16)
    asked = prefix_points(_points(20, seed=3), 16)
    indexes = build_indexes(points, ["binary", "binary+rescore"], "cosine")
    binary, rescored = indexes["binary"], indexes["binary+rescore"]
    assert rescored.binary is binary  # one set of bits for both
    candidates = binary.search(binary.prepare(asked), RESCORE_FACTOR * 10)
    expected = rescore(candidates, points, asked, 10, "cosine")
    assert (rescored.search(rescored.prepare(asked), 10) == expected).all()
    assert rescored.candidates(10, exclude=False) == 40
    assert rescored.candidates(10, exclude=True) == 40
    assert (
        build_indexes(points[:30], ["binary+rescore"], "cosine")["binary+rescore"].candidates(
            10, exclude=True
        )
        == 29
    )


@pytest.mark.parametrize(("n", "dim"), [(2000, 24), (1000, 20), (500, 256)])
def test_index_bytes_are_what_each_index_holds(n, dim):
    points = _points(n, dim)
    cosine = build_indexes(points, PRECISIONS, "cosine")
    assert cosine["float32"].bytes == n * dim * 4
    # codes, one float per row (its decoded length) and the calibrated (min, max) per dimension
    assert cosine["int8"].bytes == n * dim + n * 4 + 2 * dim * 4
    assert build_indexes(points, ["int8"], "dot")["int8"].bytes == n * dim + 2 * dim * 4
    # sign bits, widened with zero bytes to a width with a dedicated popcount loop
    assert cosine["binary"].bytes == n * code_width(-(-dim // 8))
    assert cosine["binary+rescore"].bytes == n * code_width(-(-dim // 8))
    assert cosine["binary+rescore"].kept_bytes == n * dim * 4
    assert kept_for_rescoring(cosine["binary+rescore"]).startswith(f"float32 vectors ({dim} × 4 B")
    assert "in memory or on disk" in kept_for_rescoring(cosine["binary+rescore"])
    assert kept_for_rescoring(cosine["binary"]) == "nothing"


def test_single_query_times_each_query_after_an_untimed_run():
    ticks = itertools.count(0.0, 0.001)  # every clock reading 1 ms after the last
    calls = []

    class Recording(FloatIndex):
        def search_one(self, query, depth, exclude=None):
            calls.append(exclude)
            return super().search_one(query, depth, exclude)

    points = _points(200, 8)
    index = Recording(points, "cosine")
    own = np.arange(200)
    timings = single_query_ms(
        index, points, 5, exclude=own, singles=4, repeats=3, clock=lambda: next(ticks)
    )
    assert timings.tolist() == pytest.approx([1.0] * 12)
    assert len(calls) == 4 * (1 + 3) and all(c is not None for c in calls)
    assert len(set(calls)) == 4  # four different queries, each left out of its results
    fast = speed(np.array([1.0, 2.0, 3.0, 10.0]), 250.0, 4)
    assert (fast.ms_p50, fast.ms_p95, fast.queries_per_second, fast.batch) == (
        2.5,
        pytest.approx(8.95),
        250.0,
        4,
    )


def test_a_batch_search_reports_its_queries_per_second():
    ticks = iter([10.0, 10.5])
    points = _points(300, 8)
    found, per_second = timed_search(
        FloatIndex(points, "dot"), points[:40], 5, clock=lambda: next(ticks)
    )
    assert per_second == 80.0  # 40 queries in half a second
    assert found.shape == (40, 5)


def test_real_timings_are_positive_with_the_median_below_the_95th_percentile():
    points = prefix_points(_points(5000, 64), 64)
    for precision, index in build_indexes(points, PRECISIONS, "cosine").items():
        timings = single_query_ms(index, index.prepare(points[:10]), 10, singles=5, repeats=4)
        fast = speed(timings, 1.0, 10)
        assert 0 < fast.ms_p50 <= fast.ms_p95, precision
