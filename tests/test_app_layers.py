"""AppTest runs of the Multi-layer graph page through the real entry point, on the demo corpus."""

from __future__ import annotations

import io
import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import core.analysis.multilayer as multilayer
from core.embed.models import WORDLLAMA
from core.io.corpus import load_demo_corpus
from core.pipeline import Choice, Pipeline
from core.runtime.store import ResultStore

TIMEOUT = 300
APP = Path(__file__).resolve().parents[1] / "app.py"
DOCS, LAYERS = 360, 10  # the demo corpus on the default ladder (256 … 8)


pytestmark = pytest.mark.usefixtures("fresh_results")


def _layers_page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/layers.py").run()
    assert not at.exception, at.exception
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _counts(at: AppTest) -> dict[str, int]:
    table = next(d.value for d in at.dataframe if "what" in d.value.columns)
    return dict(zip(table["what"], table["count"], strict=True))


@pytest.fixture(scope="module")
def demo_views():
    """The demo's per-size views computed outside the app, with the app's default settings."""
    pipe = Pipeline(Choice(load_demo_corpus(), WORDLLAMA, "native"), store=ResultStore())
    return pipe.views()


def _expected(views) -> dict[str, int]:
    """kNN edges, communities at every size, and the non-empty cells between neighbouring
    sizes (the interlayer edges)."""
    dims = sorted(views, reverse=True)
    cells = sum(
        np.unique(np.column_stack([views[a].communities, views[b].communities]), axis=0).shape[0]
        for a, b in zip(dims[:-1], dims[1:], strict=True)
    )
    return {
        "knn edges": sum(v.graph.edge_count for v in views.values()),
        "community nodes": sum(v.community_count for v in views.values()),
        "interlayer edges": cells,
    }


def test_layers_page_shows_hierarchy_topics_counts_and_downloads(demo_views, monkeypatch):
    makers = {}
    real_button = st.download_button

    def recording_button(label, data, **kwargs):
        makers[label] = data
        return real_button(label, data, **kwargs)

    monkeypatch.setattr(st, "download_button", recording_button)
    at = _layers_page()
    assert at.title[0].value == "Multi-layer graph"
    charts = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("Community hierarchy" in spec for spec in charts)

    expected = _expected(demo_views)
    assert _counts(at) == {
        "document nodes": DOCS * LAYERS,
        "community nodes": expected["community nodes"],
        "knn edges": expected["knn edges"],
        "member edges": DOCS * LAYERS,
        "interlayer edges": expected["interlayer edges"],
    }
    edges = expected["knn edges"] + DOCS * LAYERS + expected["interlayer edges"]
    assert _metrics(at) == {
        "Layers": str(LAYERS),
        "Nodes": f"{DOCS * LAYERS + expected['community nodes']:,}",
        "Edges": f"{edges:,}",
    }
    assert any(c.value.startswith("Document level") for c in at.caption)

    items = [m.value for m in at.markdown if m.value.startswith("- ")]
    backbone = [i for i in items if "is found at every size" in i]
    assert backbone, "the demo's cooking and sport topics last from 256 to 8 dims"
    assert any("lasts to" in i or "256 dims only" in i for i in items)

    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Multi-layer GraphML", "Multi-layer JSON", "Hierarchy PNG", "Hierarchy SVG"]
    graphml = nx.read_graphml(io.BytesIO(makers["Multi-layer GraphML"]()))
    from_json = nx.node_link_graph(json.loads(makers["Multi-layer JSON"]()), edges="edges")
    for graph in (graphml, from_json):
        assert f"{graph.number_of_nodes():,}" == _metrics(at)["Nodes"]
        assert f"{graph.number_of_edges():,}" == _metrics(at)["Edges"]
        assert {d["layer"] for _, d in graph.nodes(data=True)} == set(range(LAYERS))

    at.slider(key="backbone_share").set_value(1.0).run()
    assert not at.exception
    strict = [m.value for m in at.markdown if "is found at every size" in m.value]
    assert len(strict) < len(backbone)


def test_over_the_document_bound_the_page_says_it_keeps_communities_only(monkeypatch):
    monkeypatch.setattr(multilayer, "DOCUMENT_NODE_LIMIT", DOCS * LAYERS - 1)
    at = _layers_page()
    assert at.info and "Community level only" in at.info[0].value
    assert "over the limit of 3,599" in at.info[0].value
    counts = _counts(at)
    assert "document nodes" not in counts and "knn edges" not in counts
    assert counts["community_knn edges"] > 0
