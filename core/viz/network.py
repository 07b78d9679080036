"""The interactive pyvis network: nodes fixed at the map's positions, physics off, JS inlined."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import numpy as np

from core.analysis.graph import Graph
from core.viz.layout import placed_sample
from core.viz.palette import community_colour
from core.viz.text import shorten

MAX_NETWORK_NODES = 1_500
SCALE = 320.0
# pyvis's template always links Bootstrap from a CDN, even with cdn_resources="in_line".
_REMOTE_ASSET = re.compile(
    r'<link\b[^>]*\bhref="https?://[^"]*"[^>]*>'
    r'|<script\b[^>]*\bsrc="https?://[^"]*"[^>]*>\s*</script>'
)


def sample_nodes(n: int, limit: int = MAX_NETWORK_NODES) -> np.ndarray:
    """Which rows to draw: all of them, or a fixed random sample when there are too many (the
    same rows as the exported network figure, all with a place on the map)."""
    return placed_sample(n, limit)


def build_network_html(
    coords: np.ndarray,
    graph: Graph,
    labels: np.ndarray,
    names: dict[int, str],
    texts: Sequence[str],
    ids: Sequence[str],
    *,
    height: str = "620px",
    limit: int = MAX_NETWORK_NODES,
) -> str:
    """A self-contained HTML page (vis.js inlined, works offline) of the graph; titles are plain
    text, safely encoded in the script block."""
    from pyvis.network import Network

    keep = sample_nodes(graph.n, limit)
    kept = np.zeros(graph.n, dtype=bool)
    kept[keep] = True
    net = Network(height=height, width="100%", cdn_resources="in_line", bgcolor="#ffffff")
    for i in keep.tolist():
        community = int(labels[i])
        # vis.js shows a string title as text (innerText), so it is passed as written; pyvis
        # writes the DataSet with Jinja's tojson, which encodes <, >, & and ' as \u escapes,
        # so no text can close the <script> block.
        title = (
            f"{ids[i]} · community {names.get(community, str(community))}\n{shorten(texts[i], 240)}"
        )
        net.add_node(
            i,
            label=" ",
            title=title,
            x=float(coords[i, 0] * SCALE),
            y=float(-coords[i, 1] * SCALE),
            color=community_colour(community),
            size=6,
            physics=False,
        )
    both = kept[graph.src] & kept[graph.dst]
    for s, d, w in zip(graph.src[both], graph.dst[both], graph.weight[both], strict=True):
        net.add_edge(int(s), int(d), value=float(w), color="rgba(120,120,120,0.35)")
    net.set_options(
        json.dumps(
            {
                "physics": {"enabled": False},
                "edges": {"smooth": False, "scaling": {"min": 0.3, "max": 1.5}},
                "nodes": {"borderWidth": 0, "font": {"size": 0}},
                "interaction": {"hover": True, "tooltipDelay": 80, "hideEdgesOnDrag": True},
            }
        )
    )
    return _REMOTE_ASSET.sub("", net.generate_html())
