"""Tests for the plotly figures (core.viz.map_plot, network_plot, animation_plot,
small_multiples): the community map, the static network figure, the ladder
animation, and what each sends to the browser."""

from __future__ import annotations

import base64
import json

import numpy as np
import plotly.graph_objects as go
import plotly.io
import pytest

from core.analysis.graph import Graph
from core.analysis.knn import sample_rows
from core.viz.animation_plot import ANIMATION_POINT_LIMIT, ladder_animation
from core.viz.map_plot import (
    HOVER_TEXT_LIMIT,
    LIVE_WEBGL_THRESHOLD,
    ROW_HOVER,
    TABLE_HOVER_TEXT_LIMIT,
    WEBGL_THRESHOLD,
    hover_caption,
    hovers_with_text,
    map_figure,
    map_spec,
    selected_rows,
)
from core.viz.network import MAX_NETWORK_NODES, sample_nodes
from core.viz.network_plot import NETWORK_FIGURE_LIMIT, edge_segments, network_figure
from core.viz.palette import PALETTE, community_colour
from core.viz.plotly_json import spec_json
from core.viz.small_multiples import small_multiples
from core.viz.text import excerpt, hover_texts
from tests.support import ladder_scenes, map_scene

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


def _sent_bytes(fig: go.Figure) -> int:
    """Bytes of the figure's JSON as st.plotly_chart puts it in its message to the browser."""
    return len(plotly.io.to_json(fig, validate=False).encode())


def _decode(array: dict) -> np.ndarray:
    """A plotly typed-array spec ({"dtype", "bdata"}) as numpy."""
    return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))


def _graph(n: int) -> Graph:
    src = np.arange(n - 1)
    return Graph(n, src, src + 1, np.full(n - 1, 0.5, dtype=np.float32))


def test_map_figure_has_one_trace_per_community_covering_every_point():
    coords, labels, names, hover = _inputs()
    fig = map_figure(map_scene(coords, labels, names, title="demo"), hover)
    assert len(fig.data) == 3
    assert [t.name for t in fig.data] == [names[c] for c in range(3)]
    assert sum(len(t.x) for t in fig.data) == len(labels)


def test_map_figure_customdata_are_row_indices_with_matching_positions():
    coords, labels, names, hover = _inputs()
    fig = map_figure(map_scene(coords, labels, names), hover)
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
    spec = map_spec(map_scene(coords, labels, names, title="<script>t</script>"), hover)
    text = json.dumps(json.loads(spec_json(spec)))  # as the page sends it
    assert "<script" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


@pytest.mark.parametrize("n", [300, HOVER_TEXT_LIMIT + 1])
def test_live_map_json_is_what_plotly_sends_for_the_figure(n):
    coords, labels, names, hover = _inputs(n=n, communities=5)
    coords[3] = np.nan  # a row the map has not placed
    scene = map_scene(coords, labels, names, title="t")
    options = {"webgl_above": LIVE_WEBGL_THRESHOLD, "limit": n - 50}
    spec = map_spec(scene, hover, **options)
    fig = map_figure(scene, hover, **options)
    before = json.dumps(spec["layout"])
    assert json.loads(spec_json(spec)) == json.loads(plotly.io.to_json(fig))
    assert json.dumps(spec["layout"]) == before  # the spec is left as it was
    assert isinstance(spec["data"][0]["x"], np.ndarray)


def test_a_map_spec_with_text_by_row_leaves_the_text_to_the_page():
    coords, labels, names, hover = _inputs(n=300, communities=5)
    full = map_spec(map_scene(coords, labels, names), hover)
    by_row = map_spec(map_scene(coords, labels, names), hover, text_by_row=True)
    assert hovers_with_text(full) and hovers_with_text(by_row)
    assert all("text" not in trace for trace in by_row["data"])
    for whole, bare in zip(full["data"], by_row["data"], strict=True):
        # the page fills each point's text from its row: the same text the full spec carries
        assert [hover[row] for row in bare["customdata"]] == list(whole["text"])
    # held once by the page, the text goes up to a larger limit
    above = _inputs(n=HOVER_TEXT_LIMIT + 1, communities=2)
    assert hovers_with_text(map_spec(map_scene(*above[:3]), above[3], text_by_row=True))
    assert not hovers_with_text(map_spec(map_scene(*above[:3]), above[3]))
    beyond = _inputs(n=TABLE_HOVER_TEXT_LIMIT + 1, communities=2)
    assert not hovers_with_text(map_spec(map_scene(*beyond[:3]), beyond[3], text_by_row=True))


def test_map_figure_uses_webgl_only_beyond_the_threshold():
    small = _inputs(n=WEBGL_THRESHOLD, communities=2)
    big = _inputs(n=WEBGL_THRESHOLD + 1, communities=2)
    assert all(isinstance(t, go.Scatter) for t in map_figure(map_scene(*small[:3]), small[3]).data)
    assert all(isinstance(t, go.Scattergl) for t in map_figure(map_scene(*big[:3]), big[3]).data)
    # the live map draws with WebGL from LIVE_WEBGL_THRESHOLD points, keeping the hover text
    live = map_figure(map_scene(*small[:3]), small[3], webgl_above=LIVE_WEBGL_THRESHOLD)
    assert LIVE_WEBGL_THRESHOLD < WEBGL_THRESHOLD
    assert all(isinstance(t, go.Scattergl) for t in live.data)
    texts = [text for trace in live.data for text in trace.text]
    assert sorted(texts) == sorted(small[3])


def test_map_axes_span_every_drawn_point_with_a_margin():
    coords, labels, names, hover = _inputs(n=200)
    coords[7] = np.nan  # a row the map has not placed
    fig = map_figure(map_scene(coords, labels, names), hover)
    (x0, x1), (y0, y1) = fig.layout.xaxis.range, fig.layout.yaxis.range
    placed = coords[np.isfinite(coords).all(axis=1)]
    assert x0 < placed[:, 0].min() < placed[:, 0].max() < x1
    assert y0 < placed[:, 1].min() < placed[:, 1].max() < y1
    width = placed[:, 0].max() - placed[:, 0].min()
    assert x1 - x0 < 1.1 * width  # a margin, not a loose frame


def test_big_map_sends_webgl_typed_arrays_with_row_ids_and_no_per_point_text():
    n = HOVER_TEXT_LIMIT + 1
    coords, labels, names, hover = _inputs(n=n, communities=4)
    names[0] = "<script>x</script>"
    spec = map_figure(map_scene(coords, labels, names), hover).to_dict()
    traces = spec["data"]
    assert {t["type"] for t in traces} == {"scattergl"}
    assert [t["name"] for t in traces][0] == "&lt;script&gt;x&lt;/script&gt;"
    assert "<script" not in json.dumps(spec)
    rows = []
    for trace in traces:
        assert "text" not in trace
        assert trace["hovertemplate"] == ROW_HOVER
        assert (trace["x"]["dtype"], trace["y"]["dtype"], trace["customdata"]["dtype"]) == (
            "f4",
            "f4",
            "i4",
        )
        members = _decode(trace["customdata"])
        np.testing.assert_array_equal(_decode(trace["x"]), coords[members, 0])
        assert np.all(labels[members] == labels[members[0]])
        rows.extend(members.tolist())
    assert sorted(rows) == list(range(n))


def test_small_map_hovers_with_each_documents_text():
    coords, labels, names, hover = _inputs()
    for trace in map_figure(map_scene(coords, labels, names), hover).data:
        assert list(trace.text) == [hover[i] for i in trace.customdata]
        assert trace.hovertemplate == "%{text}<extra></extra>"
    assert hover_caption(HOVER_TEXT_LIMIT) == ""
    assert f"{HOVER_TEXT_LIMIT:,}" in hover_caption(HOVER_TEXT_LIMIT + 1)
    assert hover_caption(HOVER_TEXT_LIMIT + 1, TABLE_HOVER_TEXT_LIMIT) == ""
    assert "20,000" in hover_caption(TABLE_HOVER_TEXT_LIMIT + 1, TABLE_HOVER_TEXT_LIMIT)


def test_map_payload_at_100k_points_stays_under_2_mb():
    n = 100_000
    rng = np.random.default_rng(0)
    coords = rng.normal(size=(n, 2)).astype(np.float32)
    labels = rng.integers(0, 20, n)
    names = {c: f"{c} · keyword{c} another{c} third{c}" for c in range(20)}
    fig = map_figure(map_scene(coords, labels, names), ["unused"] * n)
    assert sum(len(t.x) for t in fig.data) == n
    assert not fig.layout.annotations  # every point drawn, no sample to announce
    assert _sent_bytes(fig) <= 2_000_000


def test_map_beyond_its_limit_draws_a_fixed_sample_and_says_so():
    coords, labels, names, hover = _inputs(n=50)
    fig = map_figure(map_scene(coords, labels, names), hover, limit=20)
    rows = np.sort(np.concatenate([t.customdata for t in fig.data]))
    np.testing.assert_array_equal(rows, sample_rows(50, 20))
    assert "20 of 50 documents" in fig.layout.annotations[0].text
    again = map_figure(map_scene(coords, labels, names), hover, limit=20)
    assert [list(t.customdata) for t in again.data] == [list(t.customdata) for t in fig.data]


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


def test_network_figure_draws_the_network_views_sample_and_only_its_edges():
    assert NETWORK_FIGURE_LIMIT == MAX_NETWORK_NODES
    for n, limit in [(10, 20), (5_000, 300), (200, 50)]:
        np.testing.assert_array_equal(sample_rows(n, limit), sample_nodes(n, limit))
    coords, labels, names, hover = _inputs(n=60)
    graph = _graph(60)
    fig = network_figure(coords, graph, labels, names, hover, limit=20)
    kept = sample_rows(60, 20)
    drawn = np.sort(np.concatenate([t.customdata for t in fig.data[1:]]))
    np.testing.assert_array_equal(drawn, kept)
    consecutive = int(np.sum(np.diff(kept) == 1))  # the path graph's edges between kept nodes
    assert len(fig.data[0].x) == 3 * consecutive
    assert "20 of 60 nodes" in fig.layout.annotations[0].text


def _ladder(n: int, dims=(64, 32, 16, 8), communities: int = 60):
    rng = np.random.default_rng(1)
    layouts = {d: rng.normal(size=(n, 2)).astype(np.float32) for d in dims}
    labels = {d: rng.integers(0, communities, n) for d in dims}
    return layouts, labels


def test_ladder_animation_follows_a_capped_sample_and_sends_hover_once():
    n = ANIMATION_POINT_LIMIT + 500
    layouts, labels = _ladder(n)
    hover = [f"doc {i}" for i in range(n)]
    fig = ladder_animation(ladder_scenes(layouts, labels), hover)
    rows = sample_rows(n, ANIMATION_POINT_LIMIT)
    assert len(fig.frames) == 2 * len(layouts) - 2
    assert list(fig.data[0].text) == [hover[i] for i in rows]
    assert f"{ANIMATION_POINT_LIMIT:,} of {n:,} documents" in fig.layout.annotations[0].text
    scale = fig.data[0].marker.colorscale
    spec = fig.to_dict()
    for frame, dim in zip(spec["frames"], [64, 32, 16, 8, 16, 32], strict=True):
        (points,) = frame["data"]
        assert set(points) == {"type", "x", "y", "marker"}  # no text, ids or styling per frame
        np.testing.assert_array_equal(_decode(points["x"]), layouts[dim][rows, 0])
        codes = _decode(points["marker"]["color"])
        assert points["marker"]["color"]["dtype"] == "u1"
        colours = [scale[2 * int(c)][1] for c in codes]
        assert colours == [community_colour(c) for c in labels[dim][rows]]


def test_ladder_animation_at_50k_documents_sends_under_2_mb():
    n = 50_000
    layouts, labels = _ladder(n, dims=(768, 512, 256, 128, 64, 32))
    hover = hover_texts(["word " * 60] * n, [f"file.csv:{i}" for i in range(n)], None)
    fig = ladder_animation(ladder_scenes(layouts, labels), hover)
    assert len(fig.data[0].x) == ANIMATION_POINT_LIMIT
    assert _sent_bytes(fig) <= 2_000_000


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


def test_selected_rows_reads_customdata_and_skips_pin_markers():
    points = [
        {"customdata": 5, "x": 0.1},
        {"customdata": [2], "x": 0.2},
        {"x": 0.3},  # a pin marker has no customdata
        {"customdata": 5},
    ]
    assert selected_rows(points) == [2, 5]


def _merging_ladder(n: int = 600, dims=(64, 32, 16, 8, 4, 2), seed: int = 0):
    """A synthetic ladder: six blobs at the full size merging pairwise down the sizes."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 6, n)
    centres = rng.uniform(-10, 10, size=(6, 2))
    layouts, groups, names = {}, {}, {}
    for step, dim in enumerate(dims):
        merged = base if step < 3 else base // 2  # at 8 dims and below, pairs have merged
        layouts[dim] = (centres[base] + rng.normal(scale=1 + step / 3, size=(n, 2))).astype(
            np.float32
        )
        groups[dim] = merged
        names[dim] = {c: f"topic {c}" for c in range(6)}
    recall = {dim: 1 / (1 + step) for step, dim in enumerate(dims)}
    return layouts, groups, names, recall


def test_small_multiples_has_a_panel_per_size_in_register_with_captions():
    layouts, groups, names, recall = _merging_ladder()
    fig = small_multiples(
        ladder_scenes(layouts, groups, names, names_on_map=True),
        recall,
        title="demo <b>",
        recall_name="r@10",
    )
    assert [t.name for t in fig.data] == [f"{d} dims" for d in (64, 32, 16, 8, 4, 2)]
    ranges = {
        (tuple(fig.layout[f"xaxis{s}"].range), tuple(fig.layout[f"yaxis{s}"].range))
        for s in ("", "2", "3", "4", "5", "6")
    }
    assert len(ranges) == 1  # the same axes in every panel
    captions = [a.text for a in fig.layout.annotations if a.name == "caption"]
    assert captions[0] == "<b>64 dims</b> · r@10 100% · 6 communities"
    assert captions[-1] == "<b>2 dims</b> · r@10 17% · 3 communities"
    assert fig.layout.title.text == "demo &lt;b&gt;"
    # a community's colour is the same in every panel it survives to
    for trace, dim in zip(fig.data, layouts, strict=True):
        rows = np.asarray(trace.customdata)
        colours = dict(zip(groups[dim][rows].tolist(), trace.marker.color, strict=True))
        assert colours == {c: community_colour(c) for c in colours}
    names_drawn = [a for a in fig.layout.annotations if (a.name or "").startswith("label-")]
    assert {a.xref for a in names_drawn} == {"x", "x2", "x3", "x4", "x5", "x6"}


def test_small_multiples_draws_one_fixed_sample_in_every_panel_and_says_so():
    layouts, groups, names, recall = _merging_ladder(n=3_000)
    fig = small_multiples(ladder_scenes(layouts, groups, names), recall, limit=500)
    samples = {tuple(np.asarray(t.customdata).tolist()) for t in fig.data}
    assert {len(s) for s in samples} == {500} and len({frozenset(s) for s in samples}) == 1
    (footnote,) = [a.text for a in fig.layout.annotations if a.name == "footnote"]
    assert "showing a fixed sample of 500 of 3,000 documents in every panel" in footnote
    assert not [a for a in fig.layout.annotations if (a.name or "").startswith("label-")]


@pytest.mark.browser
def test_small_multiples_files_read_back_as_png_svg_and_pdf():
    import io
    import re

    import pypdf
    from PIL import Image

    from core.io.export import figure_bytes

    layouts, groups, names, recall = _merging_ladder()
    fig = small_multiples(
        ladder_scenes(layouts, groups, names, names_on_map=True), recall, title="ladder"
    )
    width, height = fig.layout.width, fig.layout.height
    assert (width, height) == (2 * 16 + 3 * 300 + 2 * 14, 64 + 40 + 2 * 334 + 14)  # 3 × 2 panels
    png = Image.open(io.BytesIO(figure_bytes(fig, "png", width=width, height=height)))
    assert png.size == (2 * width, 2 * height)  # rendered at scale 2
    svg = figure_bytes(fig, "svg", width=width, height=height).decode()
    assert f'width="{width}" height="{height}"' in svg[:500]
    assert sorted(re.findall(r'class="subplot (x\d*y\d*)"', svg)) == sorted(
        ["xy", "x2y2", "x3y3", "x4y4", "x5y5", "x6y6"]
    )
    assert "64 dims" in svg and "2 dims" in svg
    pdf = figure_bytes(fig, "pdf", width=width, height=height)
    assert pdf.startswith(b"%PDF")
    (page,) = pypdf.PdfReader(io.BytesIO(pdf)).pages
    # Chromium prints CSS pixels at 0.75 points each
    assert float(page.mediabox.width) == pytest.approx(0.75 * width, abs=1)
    assert float(page.mediabox.height) == pytest.approx(0.75 * height, abs=1)


@pytest.mark.browser
def test_a_pdfs_names_are_written_once():
    import io

    import pypdf

    from core.io.export import figure_bytes

    layouts, groups, names, recall = _merging_ladder()
    fig = small_multiples(
        ladder_scenes(layouts, groups, names, names_on_map=True), recall, title="ladder"
    )
    pdf = figure_bytes(fig, "pdf", width=fig.layout.width, height=fig.layout.height)
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    named = [a.text for a in fig.layout.annotations if (a.name or "").startswith("label-")]
    assert named and text.count(named[0]) == named.count(named[0])
    assert {a.font.shadow for a in fig.layout.annotations if a.font.shadow} != {"none"}
