"""Tests for core.analysis.ladder: the dimension ladder and the per-size views."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis.ladder import (
    DimensionView,
    default_dims,
    fit_ladder,
    parse_dims,
)
from core.runtime.errors import ExplorerError
from tests.support import pipeline_of

THEMES = ("astronomy", "botany", "cooking", "dancing")
TOPICS = (
    ("quasar", "nebula", "comet"),
    ("fern", "moss", "orchid"),
    ("risotto", "sushi", "tagine"),
    ("tango", "waltz", "salsa"),
)
TOPIC_SIZES = (30, 20, 12)  # unequal, so a merged theme has one clear majority topic
FULL = 64
THEME_DIMS = 8


def _planted_hierarchy(seed: int = 0):
    """4 themes × 3 topics: theme signal in the first 8 dims, topic signal in dims 8..63.

    Truncated to 8 dims only the themes remain; at full size every topic is its own cluster.
    """
    rng = np.random.default_rng(seed)
    theme_centres = np.zeros((len(THEMES), FULL))
    theme_centres[:, :THEME_DIMS] = rng.normal(size=(len(THEMES), THEME_DIMS))
    theme_centres *= 3.0 / np.linalg.norm(theme_centres, axis=1, keepdims=True)
    rows, topics, texts = [], [], []
    for t, theme in enumerate(THEMES):
        for s, size in enumerate(TOPIC_SIZES):
            topic_centre = np.zeros(FULL)
            topic_centre[THEME_DIMS:] = rng.normal(size=FULL - THEME_DIMS)
            topic_centre *= 3.0 / np.linalg.norm(topic_centre)
            rows.append(theme_centres[t] + topic_centre + rng.normal(scale=0.15, size=(size, FULL)))
            topics += [(t, s)] * size
            texts += [f"{theme} {TOPICS[t][s]} filler words here"] * size
    x = np.vstack(rows)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), topics, texts


@pytest.fixture(scope="module")
def hierarchy():
    x, topics, texts = _planted_hierarchy()
    calls = []
    views = pipeline_of(x, texts, ladder=default_dims(FULL)).views(lambda *a: calls.append(a))
    return views, topics, calls


def test_default_dims_for_256_are_powers_of_two_and_one_and_a_half_times_them():
    assert default_dims(256) == [256, 192, 128, 96, 64, 48, 32, 24, 16, 8]


def test_default_dims_add_the_trained_sizes_within_range():
    dims = default_dims(768, trained=(768, 512, 100, 4, 2000))
    assert 512 in dims and 100 in dims
    assert 4 not in dims and 2000 not in dims
    assert dims == sorted(dims, reverse=True)
    assert dims[0] == 768 and dims[-1] == 8


def test_default_dims_for_a_size_that_is_not_a_power_of_two():
    dims = default_dims(384)
    assert dims[0] == 384
    assert {256, 192, 128, 8} <= set(dims)
    assert max(dims) == 384


def test_parse_dims_reads_separators_and_fit_ladder_keeps_the_full_size():
    assert parse_dims("128, 64;32 16") == [128, 64, 32, 16]
    assert fit_ladder(parse_dims("512, 64, 64"), 256) == [256, 64]
    assert fit_ladder(parse_dims(""), 256) == [256]


@pytest.mark.parametrize("typed", ["²", "64, abc", "0", "-8", "1e3", "１２８", "9" * 5000])
def test_parse_dims_refuses_anything_but_whole_numbers_with_a_clear_message(typed):
    with pytest.raises(ExplorerError, match="is not a size"):
        parse_dims(typed)


def test_a_ladder_of_more_sizes_than_the_limit_is_refused_with_a_clear_message(monkeypatch):
    monkeypatch.delenv("MGE_MAX_SIZES", raising=False)
    assert parse_dims(" ".join(map(str, range(1, 25)))) == list(range(24, 0, -1))
    with pytest.raises(ExplorerError, match="The ladder has 25 sizes; the limit is 24"):
        parse_dims(" ".join(map(str, range(1, 26))))
    with pytest.raises(ExplorerError, match="The ladder has 25 sizes; the limit is 24"):
        fit_ladder(range(1, 25), 256)  # the full size is the 25th
    monkeypatch.setenv("MGE_MAX_SIZES", "3")
    assert fit_ladder([64, 32], 256) == [256, 64, 32]
    with pytest.raises(ExplorerError, match="The ladder has 4 sizes; the limit is 3"):
        parse_dims("64, 32, 16, 8")


def test_views_are_largest_first_and_report_progress(hierarchy):
    views, _, calls = hierarchy
    assert list(views) == default_dims(FULL)
    assert all(isinstance(v, DimensionView) and v.dim == d for d, v in views.items())
    total = len(views)
    assert calls == [
        ((i + 1) / total, f"Graph and communities: {i + 1}/{total} ({d} dims)")
        for i, d in enumerate(views)
    ]


def test_full_size_recall_is_exactly_one(hierarchy):
    views, _, _ = hierarchy
    assert np.all(views[FULL].recall == 1.0)
    assert views[FULL].mean_recall == 1.0


def test_recall_falls_as_dimensions_are_dropped(hierarchy):
    views, _, _ = hierarchy
    recalls = [views[d].mean_recall for d in sorted(views, reverse=True)]
    assert all(
        later <= earlier + 0.02 for earlier, later in zip(recalls, recalls[1:], strict=False)
    )
    assert recalls[-1] < 0.5 < recalls[0]


def test_topics_split_at_full_size_and_merge_into_themes_at_eight_dims(hierarchy):
    views, _, _ = hierarchy
    assert views[FULL].community_count >= 10
    assert views[8].community_count <= 6


def test_community_ids_are_matched_between_consecutive_sizes(hierarchy):
    """Each community keeps the id that most of its members had one step up the ladder."""
    views, _, _ = hierarchy
    dims = sorted(views, reverse=True)
    for larger, smaller in zip(dims, dims[1:], strict=False):
        above, below = views[larger].communities, views[smaller].communities
        kept = 0
        for c in np.unique(below):
            members = below == c
            if np.bincount(above[members]).argmax() == c:
                kept += members.sum()
        assert kept / below.size >= 0.8, (larger, smaller)


def test_full_size_keywords_lead_with_each_communitys_topic_word(hierarchy):
    views, topics, _ = hierarchy
    view = views[FULL]
    for c, words in view.keywords.items():
        members = [topics[i] for i in np.flatnonzero(view.communities == c)]
        t, s = max(set(members), key=members.count)
        assert words[0] == TOPICS[t][s], (c, words)


def test_eight_dim_keywords_name_the_theme(hierarchy):
    views, topics, _ = hierarchy
    view = views[8]
    for c, words in view.keywords.items():
        members = [topics[i][0] for i in np.flatnonzero(view.communities == c)]
        assert THEMES[max(set(members), key=members.count)] in words


def test_recall_above_the_exact_limit_is_exact_on_a_sample_not_approximate(monkeypatch):
    from core.analysis import knn as knn_module
    from core.analysis import ladder
    from core.analysis.knn import exact_neighbours, knn_recall
    from core.analysis.measures import unit_prefixes

    x, _, texts = _planted_hierarchy(seed=1)
    monkeypatch.setattr(knn_module, "EXACT_KNN_LIMIT", 50)
    monkeypatch.setattr(ladder, "RECALL_SAMPLE", 40)
    views = pipeline_of(x, texts, ladder=(FULL, 16, 8)).views()
    sampled = np.flatnonzero(~np.isnan(views[8].recall))
    assert sampled.size == 40
    assert np.all(views[FULL].recall[sampled] == 1.0)
    reference = exact_neighbours(unit_prefixes(x, FULL), sampled, 10).indices
    for dim in (16, 8):
        expected = knn_recall(
            reference, exact_neighbours(unit_prefixes(x, dim), sampled, 10).indices
        )
        np.testing.assert_allclose(views[dim].recall[sampled], expected)
        assert views[dim].mean_recall == pytest.approx(expected.mean())


def test_community_summary_counts_members_and_names_each_communitys_main_label():
    from core.analysis.ladder import DimensionView, community_summary

    view = DimensionView(
        dim=8,
        neighbours=None,
        graph=None,
        communities=np.array([0, 0, 0, 1, 1, 2]),
        keywords={0: ("comet", "orbit"), 1: ("fern",), 2: ()},
        recall=np.ones(6),
    )
    labels = ["space", "space", "plants", "plants", "plants", "dance"]
    table = community_summary(view, labels)
    assert table["documents"].tolist() == [3, 2, 1]
    assert table["keywords"].tolist() == ["comet, orbit", "fern", ""]
    assert table["main label"].tolist() == ["space", "plants", "dance"]
    assert table["label share"].tolist() == [0.67, 1.0, 1.0]
    assert list(community_summary(view).columns) == ["community", "documents", "keywords"]
