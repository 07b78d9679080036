"""Tests for core.viz.figures: the community map and the static network figure."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go

from core.analysis.graph import Graph
from core.viz.figures import (
    PALETTE,
    WEBGL_THRESHOLD,
    community_colour,
    edge_segments,
    excerpt,
    hover_texts,
    map_figure,
    network_figure,
)

HOSTILE = "<script>alert(1)</script> & <b>bold</b>"


def _inputs(n: int = 30, communities: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    coords = rng.normal(size=(n, 2)).astype(np.float32)
    labels = rng.permutation(np.arange(n) % communities)
    names = {c: f"{c} · word{c}" for c in range(communities)}
    texts = [f"document {i}" for i in range(n)]
    texts[5] = HOSTILE
    hover = hover_texts(texts, [f"doc-{i}" for i in range(n)], None)
    return coords, labels, names, hover


def _graph(n: int) -> Graph:
    src = np.arange(n - 1)
    return Graph(n, src, src + 1, np.full(n - 1, 0.5, dtype=np.float32))


def test_map_figure_has_one_trace_per_community_covering_every_point():
    coords, labels, names, hover = _inputs()
    fig = map_figure(coords, labels, names, hover, title="demo")
    assert len(fig.data) == 3
    assert [t.name for t in fig.data] == [names[c] for c in range(3)]
    assert sum(len(t.x) for t in fig.data) == len(labels)


def test_map_figure_customdata_are_row_indices_with_matching_positions():
    coords, labels, names, hover = _inputs()
    fig = map_figure(coords, labels, names, hover)
    rows = np.concatenate([np.asarray(t.customdata) for t in fig.data])
    assert sorted(rows.tolist()) == list(range(len(labels)))
    for trace in fig.data:
        members = np.asarray(trace.customdata)
        assert np.all(labels[members] == labels[members[0]])
        np.testing.assert_allclose(trace.x, coords[members, 0])
        np.testing.assert_allclose(trace.y, coords[members, 1])
        assert trace.marker.color == community_colour(int(labels[members[0]]))


def test_map_figure_escapes_hostile_hover_text():
    coords, labels, names, hover = _inputs()
    names[0] = "<script>x</script>"
    fig = map_figure(coords, labels, names, hover, title="<script>t</script>")
    text = json.dumps(fig.to_dict())
    assert "<script" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_map_figure_uses_webgl_only_beyond_the_threshold():
    small = _inputs(n=WEBGL_THRESHOLD, communities=2)
    big = _inputs(n=WEBGL_THRESHOLD + 1, communities=2)
    assert all(isinstance(t, go.Scatter) for t in map_figure(*small).data)
    assert all(isinstance(t, go.Scattergl) for t in map_figure(*big).data)


def test_network_figure_draws_each_edge_as_three_entries_then_the_nodes():
    coords, labels, names, hover = _inputs()
    graph = _graph(len(labels))
    fig = network_figure(coords, graph, labels, names, hover)
    edges = fig.data[0]
    assert edges.mode == "lines"
    assert len(edges.x) == len(edges.y) == 3 * graph.edge_count
    assert np.all(np.isnan(np.asarray(edges.x, dtype=float)[2::3]))
    assert len(fig.data) == 1 + 3
    assert sum(len(t.x) for t in fig.data[1:]) == len(labels)


def test_edge_segments_join_the_endpoints_of_each_edge():
    coords = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]])
    xs, ys = edge_segments(coords, Graph(3, np.array([0, 1]), np.array([2, 2]), np.ones(2)))
    np.testing.assert_array_equal(xs[[0, 1, 3, 4]], [0.0, 3.0, 1.0, 3.0])
    np.testing.assert_array_equal(ys[[0, 1, 3, 4]], [0.0, 4.0, 2.0, 4.0])


def test_community_colour_is_stable_and_wraps_around_the_palette():
    assert community_colour(3) == community_colour(3) == PALETTE[3]
    assert community_colour(len(PALETTE) + 3) == PALETTE[3]
    assert len({community_colour(c) for c in range(10)}) == 10


def test_excerpt_flattens_truncates_and_escapes():
    out = excerpt("a\n\n<b>" + "x" * 300, limit=20)
    assert out.startswith("a &lt;b&gt;")
    assert out.endswith("…")
    assert "\n" not in out


def test_hover_texts_escape_ids_and_labels():
    out = hover_texts(["t"], ["<i>id</i>"], ["<script>"])
    assert out == ["<b>&lt;i&gt;id&lt;/i&gt;</b> · label: &lt;script&gt;<br>t"]
