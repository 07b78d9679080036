"""Tests for core.io.export: file names, networkx conversion, graph formats, zips, images and
the JSON records."""

from __future__ import annotations

import csv
import io
import json

import networkx as nx
import numpy as np
import plotly.graph_objects as go
import pytest

from core.analysis.graph import Graph
from core.io.export import (
    NODE_TEXT_CHARS,
    edge_list_csv,
    export_name,
    figure_bytes,
    graph_bytes,
    json_bytes,
    lineage_json,
    to_networkx,
)

N = 6
SRC = np.array([0, 0, 1, 2, 3])
DST = np.array([1, 2, 3, 4, 5])
WEIGHTS = np.array([0.9, 0.8, 0.7, 0.6, 0.5], dtype=np.float32)


@pytest.fixture
def nx_graph():
    graph = Graph(N, SRC, DST, WEIGHTS)
    labels = np.array([0, 0, 1, 1, 2, 2])
    ids = [f"doc,{i}" for i in range(N)]  # a comma, to exercise CSV quoting
    texts = ["x" * 800] + [f"text <{i}> & more" for i in range(1, N)]
    coords = np.arange(2 * N, dtype=np.float32).reshape(N, 2)
    doc_labels = [f"label{i % 2}" for i in range(N)]
    return to_networkx(graph, labels, ids, texts, coords, doc_labels)


def _figure() -> go.Figure:
    return go.Figure(go.Scatter(x=[0, 1, 2], y=[2, 0, 1], mode="markers"))


def test_export_name_joins_and_sanitises_parts():
    assert export_name("demo", "wordllama", "64d", ext="png") == "demo_wordllama_64d.png"
    assert export_name("../../etc/passwd", "a b/c", ext="csv") == "etc-passwd_a-b-c.csv"
    assert export_name("", "...", "ok", ext="json") == "ok.json"
    assert len(export_name("x" * 500, ext="graphml")) == 120 + len(".graphml")


def test_to_networkx_has_every_node_and_edge_with_attributes(nx_graph):
    assert nx_graph.number_of_nodes() == N
    assert nx_graph.number_of_edges() == len(SRC)
    node = nx_graph.nodes[2]
    assert node == {
        "doc_id": "doc,2",
        "community": 1,
        "text": "text <2> & more",
        "x": 4.0,
        "y": 5.0,
        "label": "label0",
    }
    assert len(nx_graph.nodes[0]["text"]) == NODE_TEXT_CHARS
    assert nx_graph.edges[0, 1]["weight"] == pytest.approx(0.9)


def test_to_networkx_without_coords_or_labels_omits_those_attributes():
    g = to_networkx(Graph(2, np.array([0]), np.array([1]), np.ones(1)), np.zeros(2), "ab", "cd")
    assert set(g.nodes[0]) == {"doc_id", "community", "text"}


def test_graphml_round_trips_through_networkx(nx_graph):
    back = nx.read_graphml(io.BytesIO(graph_bytes(nx_graph, "graphml")), node_type=int)
    assert set(back.nodes) == set(nx_graph.nodes)
    assert {frozenset(e) for e in back.edges} == {frozenset(e) for e in nx_graph.edges}
    assert back.nodes[3]["doc_id"] == "doc,3"
    assert back.nodes[3]["community"] == 1
    assert back.edges[1, 3]["weight"] == pytest.approx(0.7)


def test_gexf_parses_with_the_same_nodes_and_edges(nx_graph):
    back = nx.read_gexf(io.BytesIO(graph_bytes(nx_graph, "gexf")), node_type=int)
    assert set(back.nodes) == set(nx_graph.nodes)
    assert back.number_of_edges() == nx_graph.number_of_edges()


def test_json_is_node_link_data(nx_graph):
    data = json.loads(graph_bytes(nx_graph, "json"))
    assert {"nodes", "edges", "directed", "multigraph"} <= set(data)
    assert len(data["nodes"]) == N
    assert len(data["edges"]) == len(SRC)
    back = nx.node_link_graph(data, edges="edges")
    assert back.nodes[4]["text"] == "text <4> & more"


def test_csv_has_a_header_and_one_row_per_edge():
    ids = [f"doc,{i}" for i in range(N)]  # a comma, to exercise CSV quoting
    rows = list(csv.reader(io.StringIO(edge_list_csv(Graph(N, SRC, DST, WEIGHTS), ids))))
    assert rows[0] == ["source", "target", "source_id", "target_id", "weight"]
    assert len(rows) == 1 + len(SRC)
    assert ["0", "1", "doc,0", "doc,1", "0.900000"] in rows


def test_graph_bytes_rejects_unknown_format(nx_graph):
    with pytest.raises(ValueError, match="unknown graph format"):
        graph_bytes(nx_graph, "dot")


def test_figure_bytes_rejects_unknown_format():
    with pytest.raises(ValueError, match="unknown image format"):
        figure_bytes(_figure(), "gif")


@pytest.mark.browser
def test_figure_bytes_renders_png():
    data = figure_bytes(_figure(), "png", width=300, height=200)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.browser
def test_figure_bytes_renders_svg():
    data = figure_bytes(_figure(), "svg", width=300, height=200)
    assert data.lstrip().startswith((b"<svg", b"<?xml"))


def test_json_bytes_write_null_for_nan_and_infinities():
    record = {"table": [{"dim": 8, "spearman": float("nan"), "ms": np.float64("inf")}], "k": 10}
    text = json_bytes(record).decode()
    assert json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON")) == {
        "table": [{"dim": 8, "spearman": None, "ms": None}],
        "k": 10,
    }


def test_the_lineage_record_holds_each_merge_with_its_sentence_and_every_sizes_communities():
    import pandas as pd

    labels = {16: np.repeat([0, 1], 6), 8: np.zeros(12, dtype=int)}
    names = {16: {0: "cats", 1: "dogs"}, 8: {0: "pets"}}
    steps = pd.DataFrame({"from_dim": [16], "to_dim": [8]})
    record = json.loads(lineage_json([16, 8], labels, names, steps))
    assert record["dims"] == [16, 8] and record["steps"] == [{"from_dim": 16, "to_dim": 8}]
    (event,) = record["events"]
    assert event["kind"] == "merge" and "pets" in event["text"]
    assert record["communities"] == {"16": [0] * 6 + [1] * 6, "8": [0] * 12}
    assert record["names"] == {"16": {"0": "cats", "1": "dogs"}, "8": {"0": "pets"}}
