"""Tests for core.viz.network: the self-contained pyvis page (offline, fixed positions, escaped)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from core.analysis.graph import similarity_graph
from core.analysis.knn import knn
from core.viz.network import SCALE, build_network_html, sample_nodes

HOSTILE = "<script>alert(1)</script>"


def _data_set(page: str, name: str) -> list[dict]:
    start = page.index(f"{name} = new vis.DataSet(") + len(f"{name} = new vis.DataSet(")
    items, _ = json.JSONDecoder().raw_decode(page, start)
    return items


def _inputs(n: int = 40, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    graph = similarity_graph(knn(x, 4), "knn")
    coords = rng.normal(size=(n, 2)).astype(np.float32)
    labels = np.arange(n) % 3
    names = {0: "0 · alpha", 1: "1 · <b>beta</b>", 2: "2 · gamma"}
    texts = [f"text {i}" for i in range(n)]
    texts[3] = f"before {HOSTILE} after"
    ids = [f"doc-{i}" for i in range(n)]
    ids[7] = HOSTILE
    return coords, graph, labels, names, texts, ids


@pytest.fixture(scope="module")
def page():
    inputs = _inputs()
    return inputs, build_network_html(*inputs)


def test_network_page_has_no_remote_scripts_or_styles(page):
    _, html_page = page
    assert "cdnjs" not in html_page
    assert "cdn.jsdelivr" not in html_page
    assert not re.search(r"<script\b[^>]*\bsrc=\"https?:", html_page)
    assert not re.search(r"<link\b[^>]*\bhref=\"https?:", html_page)
    assert "vis.DataSet" in html_page and len(html_page) > 100_000  # vis.js inlined


def test_network_page_disables_physics(page):
    _, html_page = page
    assert re.search(r'"physics":\s*\{\s*"enabled":\s*false', html_page)
    assert all(node["physics"] is False for node in _data_set(html_page, "nodes"))


def test_network_page_has_one_node_per_document_at_scaled_map_positions(page):
    (coords, graph, *_), html_page = page
    nodes = _data_set(html_page, "nodes")
    assert sorted(node["id"] for node in nodes) == list(range(graph.n))
    for node in nodes:
        i = node["id"]
        assert node["x"] == pytest.approx(coords[i, 0] * SCALE, rel=1e-5)
        assert node["y"] == pytest.approx(-coords[i, 1] * SCALE, rel=1e-5)
    edges = _data_set(html_page, "edges")
    assert len(edges) == graph.edge_count


def test_network_page_encodes_titles_so_no_raw_markup_reaches_the_data_set(page):
    _, html_page = page
    assert HOSTILE not in html_page
    assert "<b>beta</b>" not in html_page
    start = html_page.index("nodes = new vis.DataSet(")
    data_set = html_page[start : html_page.index("\n", start)]
    assert "<" not in data_set and ">" not in data_set.removesuffix(");")
    assert "\\u003cscript\\u003e" in data_set
    titles = [node["title"] for node in _data_set(html_page, "nodes")]
    assert sum(HOSTILE in title for title in titles) == 2  # shown as written, by innerText


def test_sample_nodes_keeps_small_graphs_whole_and_caps_big_ones():
    np.testing.assert_array_equal(sample_nodes(10, limit=20), np.arange(10))
    sample = sample_nodes(5_000, limit=300)
    assert sample.size == np.unique(sample).size == 300
    assert np.all(np.diff(sample) > 0) and sample.max() < 5_000
    np.testing.assert_array_equal(sample, sample_nodes(5_000, limit=300))


def test_network_page_of_a_big_graph_draws_only_sampled_nodes_and_their_edges():
    coords, graph, labels, names, texts, ids = _inputs(n=200, seed=1)
    html_page = build_network_html(coords, graph, labels, names, texts, ids, limit=50)
    kept = sample_nodes(200, limit=50)
    nodes = _data_set(html_page, "nodes")
    assert sorted(node["id"] for node in nodes) == kept.tolist()
    edges = _data_set(html_page, "edges")
    keep = set(kept.tolist())
    assert all(e["from"] in keep and e["to"] in keep for e in edges)
    expected = sum(s in keep and d in keep for s, d in zip(graph.src, graph.dst, strict=True))
    assert len(edges) == expected


def test_titles_read_as_written_because_vis_shows_them_as_text():
    from core.analysis.measures import unit_prefixes

    rng = np.random.default_rng(3)
    unit = unit_prefixes(rng.normal(size=(12, 8)).astype(np.float32), 8)
    graph = similarity_graph(knn(unit, 3))
    texts = ["the men's R&D draw & <b>finals</b>"] * 12
    page = build_network_html(
        rng.normal(size=(12, 2)),
        graph,
        np.zeros(12, int),
        {0: "c"},
        texts,
        [f"d{i}" for i in range(12)],
    )
    nodes = _data_set(page, "nodes")
    title = nodes[0]["title"]
    assert "the men's R&D draw & <b>finals</b>" in title  # vis.js shows it as text, as written
    assert "&amp;" not in title and "&#x27;" not in title
    assert "R\\u0026D" in page and "R&D" not in page
