"""Tests for core.analysis.multilayer and core.viz.multilayer_plots on a planted ladder."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import networkx as nx
import numpy as np
import pytest

from core.analysis.graph import Graph
from core.analysis.lineage import cluster_tree
from core.analysis.multilayer import (
    APPEARS,
    BACKBONE,
    COMMUNITY_KNN,
    COMMUNITY_LEVEL,
    DOCUMENT_LEVEL,
    INTERLAYER,
    KNN,
    LARGE_ONLY,
    MEMBER,
    layer_node,
    multilayer_counts,
    multilayer_graph,
    topics,
    xml_text,
)
from core.io.export import graph_bytes
from core.viz.multilayer_plots import hierarchy_figure

DIMS = [64, 32, 16]
N = 50


def planted_labels() -> dict[int, np.ndarray]:
    """Five communities at 64 dims (sizes 10, 10, 14, 6, 10). Going to 32 dims: 0 stays whole
    (and gains 4 of community 4), 1 keeps 7 and gives 3 to a new community 7, 3 merges into 2,
    and 4 scatters 4/3/3 over 0, 1 and 7. Nothing changes from 32 to 16 dims."""
    at_64 = np.repeat([0, 1, 2, 3, 4], [10, 10, 14, 6, 10])
    at_32 = np.repeat([0, 1, 7, 2, 2, 0, 1, 7], [10, 7, 3, 14, 6, 4, 3, 3])
    return {64: at_64, 32: at_32, 16: at_32.copy()}


def names_for(labels: dict[int, np.ndarray]) -> dict[int, dict[int, str]]:
    return {d: {int(c): f"topic {d}-{c}" for c in np.unique(x)} for d, x in labels.items()}


def path_graph(labels: np.ndarray) -> Graph:
    """Each community a path through its documents in row order, plus the edges (0, 49) and
    (0, 20) that join communities; weights are 0.5."""
    pairs = [(i, i + 1) for i in range(N - 1) if labels[i] == labels[i + 1]] + [(0, 49), (0, 20)]
    src, dst = np.array(sorted(pairs)).T
    return Graph(N, src.astype(np.int32), dst.astype(np.int32), np.full(src.size, 0.5, np.float32))


@pytest.fixture
def ladder():
    labels = planted_labels()
    graphs = {d: path_graph(labels[d]) for d in DIMS}
    ids = [f"doc-{i}" for i in range(N)]
    return labels, graphs, names_for(labels), ids


def read_graphml(graph: nx.Graph) -> nx.Graph:
    return nx.read_graphml(io.BytesIO(graph_bytes(graph, "graphml")))


def kinds(graph: nx.Graph, what: str = "edges") -> dict[str, int]:
    items = graph.edges(data="kind") if what == "edges" else graph.nodes(data="kind")
    found: dict[str, int] = {}
    for *_, kind in items:
        found[kind] = found.get(kind, 0) + 1
    return found


# The graph and its files


def test_graphml_read_back_has_every_document_in_every_layer_and_every_edge(ladder) -> None:
    labels, graphs, names, ids = ladder
    back = read_graphml(multilayer_graph(DIMS, graphs, labels, names, ids))
    assert kinds(back, "nodes") == {"document": N * 3, "community": 5 + 4 + 4}
    knn_edges = sum(g.edge_count for g in graphs.values())
    # 64 -> 32: 0→0, 1→1, 1→7, 2→2, 3→2, 4→0, 4→1, 4→7; 32 -> 16: four one-to-one links
    assert kinds(back) == {KNN: knn_edges, MEMBER: N * 3, INTERLAYER: 8 + 4}
    assert back.number_of_nodes() == N * 3 + 13
    assert back.number_of_edges() == knn_edges + N * 3 + 12
    assert {(d["layer"], d["dim"]) for _, d in back.nodes(data=True)} == {
        (0, 64),
        (1, 32),
        (2, 16),
    }
    doc = back.nodes[layer_node(32, "doc", 17)]
    assert (doc["doc_id"], doc["community"], doc["layer"]) == ("doc-17", 7, 1)
    assert back.graph["level"] == DOCUMENT_LEVEL and back.graph["dims"] == "64,32,16"


def test_interlayer_weights_are_the_shared_members(ladder) -> None:
    labels, graphs, names, ids = ladder
    back = read_graphml(multilayer_graph(DIMS, graphs, labels, names, ids))
    interlayer = [(u, v, d) for u, v, d in back.edges(data=True) if d["kind"] == INTERLAYER]
    for u, v, data in interlayer:
        a, b = sorted((back.nodes[u], back.nodes[v]), key=lambda n: -n["dim"])
        shared = np.sum((labels[a["dim"]] == a["community"]) & (labels[b["dim"]] == b["community"]))
        assert data["weight"] == shared > 0
        assert data["share"] == pytest.approx(shared / a["members"])
        assert b["layer"] == a["layer"] + 1
    scatter = back.edges[layer_node(64, "community", 4), layer_node(32, "community", 0)]
    assert (scatter["weight"], scatter["share"]) == (4.0, 0.4)


def test_member_edges_join_each_document_to_its_community_in_the_same_layer(ladder) -> None:
    labels, graphs, names, ids = ladder
    graph = multilayer_graph(DIMS, graphs, labels, names, ids)
    for row in (0, 17, 45):
        for dim in DIMS:
            neighbours = [
                v
                for v in graph[layer_node(dim, "doc", row)]
                if graph.edges[layer_node(dim, "doc", row), v]["kind"] == MEMBER
            ]
            assert neighbours == [layer_node(dim, "community", int(labels[dim][row]))]


def test_node_link_json_reads_back_with_the_same_counts(ladder) -> None:
    labels, graphs, names, ids = ladder
    graph = multilayer_graph(DIMS, graphs, labels, names, ids)
    data = json.loads(graph_bytes(graph, "json"))
    back = nx.node_link_graph(data, edges="edges")
    assert back.number_of_nodes() == graph.number_of_nodes()
    assert back.number_of_edges() == graph.number_of_edges()
    assert data["graph"]["level"] == DOCUMENT_LEVEL
    assert back.nodes[layer_node(16, "community", 2)]["members"] == 20


def test_every_graphml_attribute_is_declared_once_with_a_graphml_type(ladder) -> None:
    labels, graphs, names, ids = ladder
    wide = {d: x.astype(np.int32) for d, x in labels.items()}  # numpy labels in, plain out
    tree = ET.fromstring(graph_bytes(multilayer_graph(DIMS, graphs, wide, names, ids), "graphml"))
    keys = [k.attrib for k in tree.iter("{http://graphml.graphdrawing.org/xmlns}key")]
    declared = [(k["for"], k["attr.name"]) for k in keys]
    assert len(declared) == len(set(declared))
    types = {(k["for"], k["attr.name"]): k["attr.type"] for k in keys}
    assert types[("node", "layer")] == types[("node", "dim")] == "long"  # GraphML's 64-bit int
    assert types[("node", "backbone")] == "boolean"
    assert types[("edge", "weight")] == "double"
    assert ("node", "size") not in types  # Gephi would draw "size" as the node's size


def test_counts_known_before_building_match_the_graph(ladder) -> None:
    labels, graphs, names, ids = ladder
    tree = cluster_tree(DIMS, labels, names)
    for limit in (10_000, 100):
        counts = multilayer_counts(tree, graphs, labels, document_limit=limit)
        graph = multilayer_graph(DIMS, graphs, labels, names, ids, document_limit=limit)
        assert {k: v for k, v in counts.nodes.items() if v} == kinds(graph, "nodes")
        assert {k: v for k, v in counts.edges.items() if v} == kinds(graph)
        assert counts.level == graph.graph["level"]


def test_over_the_bound_only_communities_are_kept_and_the_file_says_so(ladder) -> None:
    labels, graphs, names, ids = ladder
    back = read_graphml(
        multilayer_graph(DIMS, graphs, labels, names, ids, document_limit=N * 3 - 1)
    )
    assert back.graph["level"] == COMMUNITY_LEVEL
    assert "over the limit of 149" in back.graph["note"]
    assert kinds(back, "nodes") == {"community": 13}
    # at 64 dims the extra edges (0, 49) and (0, 20) join community 0 to 4 and to 2
    links = {
        (u, v): d["weight"]
        for u, v, d in back.edges(data=True)
        if d["kind"] == COMMUNITY_KNN and back.nodes[u]["dim"] == 64
    }
    assert sorted(tuple(sorted(k)) for k in links) == [
        (layer_node(64, "community", 0), layer_node(64, "community", 2)),
        (layer_node(64, "community", 0), layer_node(64, "community", 4)),
    ]
    assert set(links.values()) == {1.0}
    assert back.nodes[layer_node(64, "community", 2)]["internal_edges"] == 13  # a path of 14
    assert kinds(back)[INTERLAYER] == 12


def test_user_ids_with_control_characters_and_markup_still_make_valid_graphml(ladder) -> None:
    labels, graphs, names, ids = ladder
    ids = ["a\x00b", "<b>&amp;</b>", "tab\there", "snow ☃ 🚀", *ids[4:]]
    names = {d: {c: f"{n}\x07 & <i>" for c, n in per.items()} for d, per in names.items()}
    back = read_graphml(multilayer_graph(DIMS, graphs, labels, names, ids))
    assert back.nodes[layer_node(64, "doc", 0)]["doc_id"] == "a\ufffdb" == xml_text("a\x00b")
    assert back.nodes[layer_node(64, "doc", 1)]["label"] == "<b>&amp;</b>"
    assert back.nodes[layer_node(64, "doc", 2)]["doc_id"] == "tab\there"
    assert back.nodes[layer_node(64, "doc", 3)]["doc_id"] == "snow ☃ 🚀"
    assert back.nodes[layer_node(64, "community", 0)]["name"] == "topic 64-0\ufffd & <i>"


def test_graphs_of_another_corpus_are_refused(ladder) -> None:
    labels, graphs, names, ids = ladder
    with pytest.raises(ValueError, match="for 49 documents"):
        multilayer_graph(DIMS, graphs, labels, names, ids[:-1])


# Topics: backbones, large sizes only, appearing later


def by_start(found) -> dict[str, object]:
    return {topic.nodes[0]: topic for topic in found}


def test_backbone_topics_are_those_staying_together_at_every_size(ladder) -> None:
    labels, _, names, _ = ladder
    found = by_start(topics(cluster_tree(DIMS, labels, names)))
    assert {key for key, t in found.items() if t.status == BACKBONE} == {
        "d64:c0",
        "d64:c1",
        "d64:c2",  # keeps all its members and is 14 of the 20 it merges into
    }
    assert found["d64:c1"].communities == (1, 1, 1)
    assert found["d64:c1"].members == (10, 10, 10)
    assert found["d64:c0"].describe() == (
        "'topic 64-0' (10 docs at 64 dims) is found at every size, with 14 docs at 16 dims."
    )


def test_merged_and_scattered_communities_exist_only_at_large_sizes(ladder) -> None:
    labels, _, names, _ = ladder
    found = by_start(topics(cluster_tree(DIMS, labels, names)))
    merged, scattered = found["d64:c3"], found["d64:c4"]
    assert merged.status == scattered.status == LARGE_ONLY
    assert merged.dims == scattered.dims == (64,)
    assert merged.fate == "at 32 dims it merges into 'topic 32-2' (100% of its members)."
    assert scattered.fate.startswith("at 32 dims its members go to 'topic 32-0' (40%) and ")
    assert found["d32:c7"].status == APPEARS and found["d32:c7"].dims == (32, 16)


def test_a_stricter_share_ends_the_topics_that_gained_members(ladder) -> None:
    labels, _, names, _ = ladder
    found = topics(cluster_tree(DIMS, labels, names), min_share=1.0)
    assert [t.nodes[0] for t in found if t.status == BACKBONE] == []
    ends = by_start(found)
    assert ends["d64:c0"].status == LARGE_ONLY  # 32-0 also took 4 of community 4
    assert "merges into 'topic 32-0'" in ends["d64:c0"].fate
    with pytest.raises(ValueError, match="min_share"):
        topics(cluster_tree(DIMS, labels, names), min_share=0)


def test_backbone_flags_on_community_nodes_follow_the_topics(ladder) -> None:
    labels, graphs, names, ids = ladder
    graph = multilayer_graph(DIMS, graphs, labels, names, ids)
    flagged = {
        (d["dim"], d["community"])
        for _, d in graph.nodes(data=True)
        if d["kind"] == "community" and d["backbone"]
    }
    assert flagged == {(d, c) for d in DIMS for c in (0, 1, 2)}


# The hierarchy figure


def test_hierarchy_figure_puts_coarse_sizes_on_top_and_boxes_by_members(ladder) -> None:
    labels, _, names, _ = ladder
    tree = cluster_tree(DIMS, labels, names)
    fig = hierarchy_figure(tree, topics(tree), title="<b>x</b>")
    layout = fig.to_dict()["layout"]
    ticks = dict(zip(layout["yaxis"]["ticktext"], layout["yaxis"]["tickvals"], strict=True))
    assert ticks["16"] > ticks["32"] > ticks["64"]  # the full size at the bottom
    shapes = layout["shapes"]
    assert len(shapes) == tree.number_of_nodes()
    full = [s for s in shapes if s["y0"] < ticks["64"] < s["y1"]]
    widths = sorted(s["x1"] - s["x0"] for s in full)
    assert widths[-1] / widths[0] == pytest.approx(14 / 6)  # communities 2 and 3
    outlined = [s for s in shapes if s["line"]["width"] > 0]
    assert len(outlined) == 3 * 3  # three backbone topics at three sizes
    legend = [t["name"] for t in fig.to_dict()["data"] if t.get("showlegend")]
    assert legend == ["topic 64-2", "topic 64-0", "topic 64-1"]  # largest first
    assert layout["title"]["text"] == "&lt;b&gt;x&lt;/b&gt;"


def test_hierarchy_figure_says_when_no_topic_lasts(ladder) -> None:
    labels, _, names, _ = ladder
    tree = cluster_tree(DIMS, labels, names)
    fig = hierarchy_figure(tree, topics(tree, min_share=1.0))
    assert "None is found at every size here." in fig.layout.title.subtitle.text
    assert all(s.line.width == 0 for s in fig.layout.shapes)
