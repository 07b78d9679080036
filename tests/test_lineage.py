"""Tests for core.analysis.lineage and core.viz.lineage_plots on planted partitions."""

from __future__ import annotations

import io
import json

import networkx as nx
import numpy as np
import pytest

from core.analysis.lineage import (
    CLEAN_NESTING,
    MOSTLY_NESTED,
    SUMMARY_COLUMNS,
    LineageEvent,
    chance_corrected,
    cluster_tree,
    containment,
    containment_baseline,
    contingency,
    describe,
    label_agreement,
    lineage_events,
    sankey_data,
    step_summary,
    verdict,
)
from core.io.export import tree_bytes
from core.runtime.errors import ExplorerError
from core.runtime.store import ResultStore
from core.viz.lineage_labels import Box, overlapping
from core.viz.lineage_plots import (
    SANKEY_THICKNESS,
    containment_figure,
    sankey_figure,
    sankey_label_boxes,
    tree_figure,
    tree_label_boxes,
)
from tests.support import pipeline_of

HOSTILE = "<script>alert(1)</script>"
DIMS = [64, 32, 16]
PER = 10


def nested_labels() -> dict[int, np.ndarray]:
    """12 communities at 64 dims that merge pairwise into 6 at 32, then into 3 at 16."""
    fine = np.repeat(np.arange(12), PER)
    return {64: fine, 32: fine // 2, 16: fine // 4}


def names_for(labels: dict[int, np.ndarray]) -> dict[int, dict[int, str]]:
    return {d: {int(c): f"topic {d}-{c}" for c in np.unique(x)} for d, x in labels.items()}


def step(fine: np.ndarray, coarse: np.ndarray, **kwargs) -> list[LineageEvent]:
    labels = {64: np.asarray(fine), 32: np.asarray(coarse)}
    return lineage_events([64, 32], labels, names_for(labels), **kwargs)


# Contingency and containment


def test_contingency_counts_documents_shared_by_each_pair() -> None:
    fine_ids, coarse_ids, counts = contingency(np.array([5, 5, 5, 7, 7]), np.array([1, 1, 2, 2, 2]))
    assert fine_ids.tolist() == [5, 7]
    assert coarse_ids.tolist() == [1, 2]
    assert counts.tolist() == [[2, 1], [0, 2]]


def test_contingency_rejects_labels_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="equal length"):
        contingency(np.zeros(3), np.zeros(4))


def one_step(fine: np.ndarray, coarse: np.ndarray) -> dict:
    """The step_summary row for a single step from `fine` (64 dims) to `coarse` (32 dims)."""
    return step_summary([64, 32], {64: np.asarray(fine), 32: np.asarray(coarse)}).iloc[0].to_dict()


def test_nested_ladder_has_full_containment_and_clean_verdict() -> None:
    labels = nested_labels()
    summary = step_summary(DIMS, labels)
    assert tuple(summary.columns) == SUMMARY_COLUMNS
    assert summary[["from_dim", "to_dim"]].values.tolist() == [[64, 32], [32, 16]]
    assert summary["communities_from"].tolist() == [12, 6]
    assert summary["communities_to"].tolist() == [6, 3]
    assert summary["merge_nesting"].tolist() == [1.0, 1.0]
    assert (summary["merge_chance"] < 0.6).all()
    assert summary["merge_corrected"].tolist() == [1.0, 1.0]
    assert summary["verdict"].tolist() == ["clean merges", "clean merges"]


def test_summary_records_are_plain_json() -> None:
    records = step_summary(DIMS, nested_labels()).to_dict("records")
    assert json.loads(json.dumps(records))[0]["verdict"] == "clean merges"


def test_random_relabelling_scores_near_chance_and_reads_as_reshuffle() -> None:
    rng = np.random.default_rng(1)
    fine = np.repeat(np.arange(12), 50)
    coarse = rng.permutation(fine // 2)
    score = containment(fine, coarse)
    chance = containment_baseline(fine, coarse)
    assert score < 0.6
    assert abs(score - chance) < 0.1
    row = one_step(fine, coarse)
    assert row["verdict"] == "reshuffle"
    assert abs(row["ami"]) < 0.05
    kinds = {event.kind for event in step(fine, coarse)}
    assert "merge" not in kinds
    assert "scatter" in kinds


# Chance-corrected nesting both ways: planted merges, splits and random relabellings

TWELVE = np.repeat(np.arange(12), 50)


def test_planted_merges_read_as_clean_merges() -> None:
    row = one_step(TWELVE, TWELVE // 3)  # 12 -> 4: each coarse community is a union of three
    assert row["merge_nesting"] == row["merge_corrected"] == 1.0
    assert row["split_nesting"] == pytest.approx(1 / 3)
    assert row["split_corrected"] < MOSTLY_NESTED
    assert row["verdict"] == "clean merges"


def test_planted_splits_read_as_clean_splits_not_reshuffle() -> None:
    row = one_step(TWELVE // 3, TWELVE)  # 4 -> 12: each community splits into three
    assert row["merge_nesting"] == pytest.approx(1 / 3)  # what the old one-way score saw
    assert row["split_nesting"] == row["split_corrected"] == 1.0
    assert row["communities_from"] == 4 and row["communities_to"] == 12
    assert row["verdict"] == "clean splits"
    assert row["ami"] > 0.5


def test_identical_partitions_under_new_ids_read_as_same_partition() -> None:
    row = one_step(TWELVE, (TWELVE * 7 + 3) % 12)
    assert row["merge_corrected"] == row["split_corrected"] == 1.0
    assert row["ami"] == pytest.approx(1.0)
    assert row["verdict"] == "same partition"


@pytest.mark.parametrize("sizes", [[500, 100], [480, 60, 60]], ids=["two", "three"])
def test_random_step_into_few_big_communities_is_a_reshuffle(sizes: list[int]) -> None:
    coarse = np.random.default_rng(4).permutation(np.repeat(np.arange(len(sizes)), sizes))
    row = one_step(TWELVE, coarse)
    assert row["merge_nesting"] >= 0.75  # high raw containment from the sizes alone
    assert row["merge_nesting"] == pytest.approx(row["merge_chance"], abs=0.03)
    assert row["merge_corrected"] < 0.2 and row["split_corrected"] < 0.2
    assert abs(row["ami"]) < 0.05
    assert row["verdict"] == "reshuffle"


def test_random_step_into_more_communities_is_a_reshuffle() -> None:
    row = one_step(TWELVE // 4, np.random.default_rng(5).permutation(TWELVE))
    assert max(row["merge_corrected"], row["split_corrected"]) < 0.2
    assert row["verdict"] == "reshuffle"


def test_leaky_merges_read_as_mostly_nested() -> None:
    rng = np.random.default_rng(3)
    coarse = TWELVE // 3
    moved = rng.random(coarse.size) < 0.3  # 30% of documents relabelled at random
    coarse[moved] = rng.integers(0, 4, moved.sum())
    row = one_step(TWELVE, coarse)
    assert MOSTLY_NESTED <= row["merge_corrected"] < CLEAN_NESTING
    assert row["verdict"] == "mostly nested"


def test_step_into_one_community_is_a_trivially_clean_merge() -> None:
    row = one_step(TWELVE, np.zeros_like(TWELVE))
    assert row["merge_chance"] == 1.0
    assert row["verdict"] == "clean merges"


def test_chance_corrected_maps_chance_to_zero_and_perfect_to_one() -> None:
    assert chance_corrected(0.4, 0.4) == 0.0
    assert chance_corrected(1.0, 0.4) == 1.0
    assert chance_corrected(0.7, 0.4) == pytest.approx(0.5)
    assert chance_corrected(0.3, 0.4) == 0.0  # below chance is floored
    assert chance_corrected(1.0, 1.0) == 1.0
    assert chance_corrected(0.9, 1.0) == 0.0


def test_verdict_words_follow_the_thresholds_in_both_directions() -> None:
    assert verdict(CLEAN_NESTING, CLEAN_NESTING) == "same partition"
    assert verdict(CLEAN_NESTING, 0.0) == "clean merges"
    assert verdict(0.0, CLEAN_NESTING) == "clean splits"
    assert verdict(0.0, MOSTLY_NESTED) == "mostly nested"
    assert verdict(MOSTLY_NESTED, 0.1) == "mostly nested"
    assert verdict(MOSTLY_NESTED - 0.01, 0.1) == "reshuffle"


def test_baseline_is_reproducible_for_a_seed() -> None:
    fine, coarse = nested_labels()[64], nested_labels()[32]
    assert containment_baseline(fine, coarse, seed=3) == containment_baseline(fine, coarse, seed=3)


# Events


def test_planted_pairwise_merges_are_found_exactly_with_full_share() -> None:
    labels = nested_labels()
    events = lineage_events(DIMS, labels, names_for(labels))
    assert all(event.kind == "merge" and event.share == 1.0 for event in events)
    found = [
        (e.from_dim, e.to_dim, tuple(s[0] for s in e.sources), e.targets[0][0]) for e in events
    ]
    expected = [(64, 32, (2 * k, 2 * k + 1), k) for k in range(6)]
    expected += [(32, 16, (2 * k, 2 * k + 1), k) for k in range(3)]
    assert found == expected
    first = events[0]
    assert first.sources == ((0, "topic 64-0", PER), (1, "topic 64-1", PER))
    assert first.targets == ((0, "topic 32-0", 2 * PER),)


def test_events_follow_the_ladder_from_largest_size_whatever_the_input_order() -> None:
    labels = nested_labels()
    events = lineage_events([16, 64, 32], labels, names_for(labels))
    assert [(e.from_dim, e.to_dim) for e in events] == [(64, 32)] * 6 + [(32, 16)] * 3


def test_community_kept_whole_without_a_partner_is_not_an_event() -> None:
    fine = np.repeat([0, 1], 10)
    assert step(fine, fine + 5) == []


def test_split_detected_when_a_community_divides_between_two() -> None:
    fine = np.repeat([0, 1], 20)
    coarse = np.concatenate([np.full(12, 3), np.full(8, 4), np.full(20, 5)])
    (event,) = step(fine, coarse)
    assert event.kind == "split"
    assert event.sources == ((0, "topic 64-0", 20),)
    assert [t[0] for t in event.targets] == [3, 4]
    assert event.share == 1.0


def test_scatter_when_no_two_communities_take_most_members() -> None:
    fine = np.zeros(30, dtype=int)
    coarse = np.repeat([0, 1, 2], 10)
    (event,) = step(fine, coarse)
    assert event.kind == "scatter"
    assert event.share == pytest.approx(1 / 3)
    assert len(event.targets) == 3


def test_min_share_decides_whether_a_leaky_pair_still_merges() -> None:
    fine = np.repeat([0, 1], 20)
    coarse = np.zeros(40, dtype=int)
    coarse[:5] = 1  # a quarter of community 0 leaks elsewhere
    assert [e.kind for e in step(fine, coarse, min_share=0.8)] == ["split"]
    (merge,) = step(fine, coarse, min_share=0.7)
    assert merge.kind == "merge"
    assert merge.share == pytest.approx(35 / 40)


def test_min_size_ignores_small_communities() -> None:
    fine = np.repeat([0, 1, 2], [3, 3, 20])
    coarse = np.repeat([0, 1], [6, 20])
    assert step(fine, coarse) == []
    (merge,) = step(fine, coarse, min_size=3)
    assert [s[0] for s in merge.sources] == [0, 1]


def test_min_share_outside_unit_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="min_share"):
        step(np.zeros(4), np.zeros(4), min_share=0)


def test_describe_names_dims_communities_and_percentage() -> None:
    merge = LineageEvent(
        "merge",
        64,
        32,
        ((1, "serve, racket", 41), (2, "goal, pitch", 38)),
        ((1, "sport", 80),),
        0.94,
    )
    text = describe(merge)
    assert text.startswith("From 64 to 32 dims")
    assert "'serve, racket' (41 docs) and 'goal, pitch' (38 docs) merge" in text
    assert "'sport'" in text and "94%" in text
    split = LineageEvent("split", 32, 16, ((4, "a", 30),), ((5, "b", 20), (6, "c", 15)), 0.9)
    assert "'a' (30 docs) splits into 'b' (20 docs) and 'c' (15 docs)" in describe(split)
    assert "90%" in describe(split)
    scatter = LineageEvent("scatter", 16, 8, ((4, "a", 30),), ((5, "b", 20),), 0.45)
    assert describe(scatter).endswith("scatters: no community gets more than 45% of its members.")


# Agreement with given labels


def test_label_agreement_is_perfect_when_communities_equal_labels() -> None:
    labels = nested_labels()
    doc_labels = [f"t{c}" for c in labels[64]]
    table = label_agreement(DIMS, labels, doc_labels)
    assert table["dim"].tolist() == DIMS
    assert table.loc[0, "ami"] == pytest.approx(1.0)
    assert table.loc[0, "ari"] == pytest.approx(1.0)
    assert (table.loc[1:, "ari"] < 1.0).all()


def test_label_agreement_leaves_out_blank_labels() -> None:
    fine = np.repeat([0, 1], 10)
    doc_labels = ["x"] * 10 + ["y"] * 5 + [""] * 5
    coarse = fine.copy()
    coarse[15:] = 0  # only unlabelled documents disagree
    table = label_agreement([64, 32], {64: fine, 32: coarse}, doc_labels)
    assert table["ami"].tolist() == pytest.approx([1.0, 1.0])


def test_label_agreement_without_any_label_is_a_user_error() -> None:
    with pytest.raises(ExplorerError, match="No document has a label"):
        label_agreement([64], {64: np.zeros(3, dtype=int)}, ["", " ", ""])


# Sankey and tree data


def test_sankey_flows_sum_to_document_count_per_step() -> None:
    labels = nested_labels()
    data = sankey_data(DIMS, labels, names_for(labels))
    assert len(data.node_labels) == 12 + 6 + 3
    assert data.dims == DIMS
    source_dims = data.node_dims[data.source]
    for dim in (64, 32):
        assert data.value[source_dims == dim].sum() == 12 * PER
    assert data.node_sizes[data.node_dims == 32].tolist() == [2 * PER] * 6


def test_sankey_min_flow_drops_small_flows() -> None:
    fine = np.repeat([0, 1], 10)
    coarse = np.concatenate([np.zeros(9, dtype=int), [1], np.ones(10, dtype=int)])
    labels = {64: fine, 32: coarse}
    assert sankey_data([64, 32], labels, {}, min_flow=1).value.tolist() == [9, 1, 10]
    kept = sankey_data([64, 32], labels, {}, min_flow=2)
    assert kept.value.tolist() == [9, 10]
    assert kept.node_labels == ("0", "1", "0", "1")


def test_tree_edge_shares_from_each_parent_sum_to_one() -> None:
    rng = np.random.default_rng(2)
    labels = {64: rng.integers(0, 8, 200), 32: rng.integers(0, 5, 200), 16: rng.integers(0, 3, 200)}
    tree = cluster_tree(DIMS, labels, names_for(labels))
    assert tree.nodes["d64:c0"]["dim"] == 64
    assert tree.nodes["d64:c0"]["name"] == "topic 64-0"
    for node, attrs in tree.nodes(data=True):
        out = list(tree.out_edges(node, data=True))
        if attrs["dim"] == 16:
            assert out == []
            continue
        assert sum(a["share"] for *_, a in out) == pytest.approx(1.0)
        assert sum(a["count"] for *_, a in out) == attrs["size"]


def test_tree_exports_as_graphml_and_node_link_json() -> None:
    labels = nested_labels()
    tree = cluster_tree(DIMS, labels, names_for(labels))
    parsed = nx.read_graphml(io.BytesIO(tree_bytes(tree, "graphml")))
    assert parsed.number_of_nodes() == 21
    assert parsed.nodes["d64:c3"]["name"] == "topic 64-3"
    payload = json.loads(tree_bytes(tree, "json"))
    assert len(payload["nodes"]) == 21
    assert len(payload["edges"]) == 12 + 6
    with pytest.raises(ValueError, match="unknown tree format"):
        tree_bytes(tree, "gexf")


# Figures


def hostile_names(labels: dict[int, np.ndarray]) -> dict[int, dict[int, str]]:
    names = names_for(labels)
    names[64][0] = HOSTILE
    return names


def test_sankey_figure_has_one_node_per_community_and_escapes_names() -> None:
    labels = nested_labels()
    fig = sankey_figure(sankey_data(DIMS, labels, hostile_names(labels)), title=HOSTILE).to_dict()
    (trace,) = fig["data"]
    assert trace["type"] == "sankey"
    assert len(trace["node"]["label"]) == 21
    assert len(trace["node"]["x"]) == 21
    assert HOSTILE not in json.dumps(fig)
    assert trace["node"]["customdata"][0][2] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert trace["link"]["customdata"][0][0].startswith("&lt;script&gt;")
    columns = [a["text"] for a in fig["layout"]["annotations"]]
    assert columns == ["<b>64 dims</b>", "<b>32 dims</b>", "<b>16 dims</b>"]


def churning_ladder(communities: int = 36, n: int = 5_000) -> tuple[list, dict, dict]:
    """Ten sizes of `communities` or more communities each, a growing share of the documents
    moved to random (some new) communities at each smaller size; keyword-like names."""
    rng = np.random.default_rng(0)
    dims = [256, 192, 128, 96, 64, 48, 32, 24, 16, 8]
    base = rng.integers(0, communities, n)
    labels = {}
    for k, dim in enumerate(dims):
        moved = rng.random(n) < 0.05 * k
        labels[dim] = np.where(moved, rng.integers(0, communities + k, n), base)
    names = {
        d: {int(c): f"{c} · word{c}, other{c}, third{c}" for c in np.unique(x)}
        for d, x in labels.items()
    }
    return dims, labels, names


def assert_readable(shown: list[tuple[str, Box]], width: float, communities: list[int]) -> None:
    """Labels that never overlap, inside the figure, each community named at most once."""
    boxes = [box for _, box in shown]
    assert overlapping(boxes) == []
    assert all(box.left >= 0 and box.right <= width for box in boxes)
    named = [int(text.split(" · ")[0]) for text, _ in shown]
    assert len(named) == len(set(named))
    assert set(named) <= set(communities)


def test_sankey_names_each_of_36_communities_per_size_once_without_overlaps() -> None:
    dims, labels, names = churning_ladder()
    data = sankey_data(dims, labels, names)
    fig = sankey_figure(data)
    shown = sankey_label_boxes(fig)
    assert min(np.unique(x).size for x in labels.values()) >= 36
    assert_readable(shown, fig.layout.width, data.node_communities.tolist())
    assert len(shown) >= 40  # of 45: the ones that find no room are left to hover
    assert max(box.bottom - box.top for _, box in shown) >= 11  # an 11 px font at least
    (trace,) = fig.to_dict()["data"]
    assert [row[2] for row in trace["node"]["customdata"]] == list(data.node_labels)


def test_sankey_without_room_leaves_names_to_hover_rather_than_overlap() -> None:
    dims, labels, names = churning_ladder()
    fig = sankey_figure(sankey_data(dims, labels, names), height=300)
    shown = sankey_label_boxes(fig)
    assert_readable(shown, fig.layout.width, list(range(50)))
    assert 0 < len(shown) < 45


def test_sankey_nodes_do_not_overlap_so_plotly_keeps_them_in_place() -> None:
    dims, labels, names = churning_ladder()
    data = sankey_data(dims, labels, names)
    fig = sankey_figure(data).to_dict()
    (trace,) = fig["data"]
    plot_h = fig["layout"]["height"] - fig["layout"]["margin"]["t"] - fig["layout"]["margin"]["b"]
    value = np.maximum(
        np.bincount(data.target, data.value, minlength=len(data.node_labels)),
        np.bincount(data.source, data.value, minlength=len(data.node_labels)),
    )
    x, y = np.array(trace["node"]["x"]), np.array(trace["node"]["y"]) * plot_h
    columns = [np.flatnonzero(x == column) for column in np.unique(x)]
    pad = trace["node"]["pad"]
    # plotly's scale: the largest that fits the fullest column, pad pixels between nodes
    scale = min((plot_h - (len(c) - 1) * pad) / value[c].sum() for c in columns)
    for column in columns:
        order = column[np.argsort(y[column])]
        tops, bottoms = y[order] - value[order] * scale / 2, y[order] + value[order] * scale / 2
        assert tops.min() >= -1e-6 and bottoms.max() <= plot_h + 1e-6
        assert (tops[1:] - bottoms[:-1] >= pad - 1e-6).all()


def test_demo_sankey_and_tree_name_each_community_once_without_overlaps() -> None:
    from core.demo import demo_pipeline, seed

    store = ResultStore()
    assert seed(store)
    dims, labels, names = demo_pipeline(store).lineage()
    data = sankey_data(dims, labels, names)
    sankey = sankey_figure(data)
    assert_readable(sankey_label_boxes(sankey), sankey.layout.width, list(range(100)))
    assert len(sankey_label_boxes(sankey)) == np.unique(data.node_communities).size
    tree = tree_figure(cluster_tree(dims, labels, names))
    shown = tree_label_boxes(tree)
    assert_readable(shown, tree.layout.width, list(range(100)))
    assert len(shown) == np.unique(data.node_communities).size


def test_tree_names_each_of_36_communities_per_size_once_without_overlaps() -> None:
    dims, labels, names = churning_ladder()
    fig = tree_figure(cluster_tree(dims, labels, names))
    shown = tree_label_boxes(fig)
    every = sorted({int(c) for x in labels.values() for c in np.unique(x)})
    assert_readable(shown, fig.layout.width, every)
    assert len(shown) >= 40 and len(every) == 45
    nodes = next(t for t in fig.to_dict()["data"] if t["name"] == "communities")
    assert len(nodes["x"]) == sum(np.unique(x).size for x in labels.values())


def test_tree_figure_draws_every_community_and_hides_faint_edges() -> None:
    fine = np.repeat([0, 1], 50)
    coarse = np.zeros(100, dtype=int)
    coarse[:2] = 1  # a 4% trickle from community 0 into community 1
    labels = {64: fine, 32: coarse}
    tree = cluster_tree([64, 32], labels, hostile_names(labels))
    fig = tree_figure(tree, title="tree").to_dict()
    nodes = next(t for t in fig["data"] if t["name"] == "communities")
    assert len(nodes["x"]) == 4
    assert nodes["x"][0] == nodes["x"][1] < nodes["x"][2] == nodes["x"][3]  # a column per size
    lines = [t for t in fig["data"] if t.get("mode") == "lines"]
    segments = sum(len(t["x"]) // 3 for t in lines)
    assert segments == 2  # 0 -> 0 (96%) and 1 -> 0 (100%); the 4% trickle is hidden
    assert HOSTILE not in json.dumps(fig)
    assert [a["text"] for a in fig["layout"]["annotations"]] == ["<b>64 dims</b>", "<b>32 dims</b>"]


def test_containment_figure_shows_corrected_nesting_both_ways_without_a_chance_line() -> None:
    labels = {64: TWELVE, 32: TWELVE // 3, 16: TWELVE}  # clean merges, then clean splits
    fig = containment_figure(step_summary(DIMS, labels)).to_dict()
    merges, splits = fig["data"]
    assert merges["type"] == splits["type"] == "bar"
    assert list(merges["x"]) == ["64 → 32", "32 → 16"]
    assert list(merges["y"]) == [1.0, pytest.approx(0.245, abs=0.05)]
    assert list(splits["y"]) == [pytest.approx(0.245, abs=0.05), 1.0]
    assert fig["layout"]["barmode"] == "group"
    assert fig["layout"]["yaxis"]["range"] == [0, 1.05]


# Real ladder


def test_planted_hierarchy_merges_topics_into_themes_down_the_real_ladder() -> None:
    """4 themes × 3 topics: the theme lives in the first 16 dims, the topic only beyond 32."""
    rng = np.random.default_rng(0)
    per = 30
    topic = np.repeat(np.arange(12), per)
    theme = topic // 3
    vectors = rng.normal(0, 0.15, (topic.size, 64))
    vectors[:, :16] += rng.normal(0, 1, (4, 16))[theme]
    vectors[:, 32:] += rng.normal(0, 1, (12, 32))[topic]
    theme_words = ["tennis", "football", "cooking", "astronomy"]
    topic_words = [
        "apple",
        "banana",
        "cherry",
        "delta",
        "echo",
        "foxtrot",
        "golf",
        "hotel",
        "india",
        "juliet",
        "kilo",
        "lima",
    ]
    texts = [f"{theme_words[a]} {topic_words[b]} story" for a, b in zip(theme, topic, strict=True)]

    dims, labels, names = pipeline_of(vectors, texts, ladder=(64, 32, 16, 8)).lineage()
    assert dims == [64, 32, 16, 8]
    events = lineage_events(dims, labels, names)
    merges = [e for e in events if e.kind == "merge"]
    assert merges
    assert any("tennis" in e.targets[0][1] for e in merges)
    summary = step_summary(dims, labels)
    assert summary["merge_nesting"].iloc[-1] >= 0.8
    assert summary["verdict"].iloc[0] == "clean merges"


def test_tree_figure_orders_communities_so_merging_pairs_sit_side_by_side() -> None:
    fine = np.repeat([0, 1, 2, 3], 10)
    labels = {64: fine, 32: fine % 2}  # 0 and 2 merge, 1 and 3 merge: id order would cross
    fig = tree_figure(cluster_tree([64, 32], labels, names_for(labels))).to_dict()
    nodes = next(t for t in fig["data"] if t["name"] == "communities")
    first = min(nodes["x"])
    slot = {  # each community's place down the first column
        row[3]: k
        for k, row in enumerate(
            sorted(
                (r for r, x in zip(nodes["customdata"], nodes["x"], strict=True) if x == first),
                key=lambda r: nodes["y"][nodes["customdata"].index(r)],
            )
        )
    }
    assert abs(slot[0] - slot[2]) == 1
    assert abs(slot[1] - slot[3]) == 1


def _planted_matryoshka(dim: int = 256, noise: float = 0.6, per_topic: int = 30):
    """4 themes × 3 topics: theme signal in the first 8 dims, topic signal in the next 16, and
    isotropic noise everywhere; unit rows. Returns vectors, theme and topic labels, texts."""
    rng = np.random.default_rng(0)
    themes = np.repeat(np.arange(4), 3 * per_topic)
    topics = np.repeat(np.arange(12), per_topic)
    x = np.zeros((themes.size, dim))
    x[:, :8] = (rng.normal(size=(4, 8)) * 3.0)[themes]
    x[:, 8:24] = rng.normal(size=(12, 16))[topics]
    x += rng.normal(size=x.shape) * noise
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    texts = [f"w{'x' * (t + 1)} y{'z' * (p + 1)}" for t, p in zip(themes, topics, strict=True)]
    return x.astype(np.float32), themes, topics, texts


def test_pca_ordering_recovers_merges_that_plain_truncation_of_a_rotated_control_loses():
    from scipy.stats import ortho_group

    vectors, _, topics, texts = _planted_matryoshka()
    rotated = (vectors @ ortho_group.rvs(vectors.shape[1], random_state=1)).astype(np.float32)
    outcome = {}
    for name, data, ordering in (
        ("matryoshka", vectors, "native"),
        ("rotated native", rotated, "native"),
        ("rotated pca", rotated, "pca"),
    ):
        pipe = pipeline_of(data, texts, ladder=(256, 4), ordering=ordering)
        dims, labels, names = pipe.lineage()
        merges = [e for e in lineage_events(dims, labels, names) if e.kind == "merge"]
        outcome[name] = (len(merges), containment(topics, labels[4]))
    assert outcome["matryoshka"][0] >= 3 and outcome["matryoshka"][1] >= 0.95
    assert outcome["rotated native"][0] == 0 and outcome["rotated native"][1] <= 0.6
    assert outcome["rotated pca"][0] >= 2 and outcome["rotated pca"][1] >= 0.85


def test_label_agreement_is_chance_corrected_for_many_small_communities() -> None:
    rng = np.random.default_rng(0)
    scattered = rng.integers(0, 60, size=300)  # communities that ignore the labels
    doc_labels = [f"t{v}" for v in rng.integers(0, 4, size=300)]
    table = label_agreement([64], {64: scattered}, doc_labels)
    from sklearn.metrics import normalized_mutual_info_score

    assert normalized_mutual_info_score(doc_labels, scattered) > 0.1  # what plain NMI says
    assert abs(table.loc[0, "ami"]) < 0.03 and abs(table.loc[0, "ari"]) < 0.03


@pytest.mark.browser
def test_plotly_draws_the_sankey_nodes_and_labels_where_the_label_boxes_say() -> None:
    """The boxes are computed, not measured: kaleido's SVG of the real figure puts every node
    at the figure's own position and every shown label beside its node, inside its box."""
    import re

    from core.io.export import figure_bytes

    dims, labels, names = churning_ladder()
    fig = sankey_figure(sankey_data(dims, labels, names))
    svg = figure_bytes(fig, "svg").decode()
    drawn = re.findall(
        r'class="sankey-node" transform="translate\(([-\d.]+),([-\d.]+)\)".*?'
        r'height="([\d.]+)".*?text-anchor="(\w+)" transform="translate\(([-\d.]+),([-\d.]+)\)"'
        r".*?>([^<]*)</text>",
        svg,
    )
    trace = fig.to_dict()["data"][0]
    layout = fig.layout
    plot_w = layout.width - layout.margin.l - layout.margin.r
    plot_h = layout.height - layout.margin.t - layout.margin.b
    assert len(drawn) == len(trace["node"]["x"])
    boxes = dict(sankey_label_boxes(fig))
    for (x0, y0, height, anchor, dx, dy, text), x, y, label in zip(
        drawn, trace["node"]["x"], trace["node"]["y"], trace["node"]["label"], strict=True
    ):
        x0, y0, height, dx, dy = map(float, (x0, y0, height, dx, dy))
        assert x0 + SANKEY_THICKNESS / 2 == pytest.approx(x * plot_w, abs=0.5)
        assert y0 + height / 2 == pytest.approx(y * plot_h, abs=0.5)
        assert text == label
        if text:
            box = boxes[text]
            start = layout.margin.l + x0 + dx
            assert (box.right if anchor == "end" else box.left) == pytest.approx(start, abs=0.5)
            assert box.top <= layout.margin.t + y0 + dy <= box.bottom
