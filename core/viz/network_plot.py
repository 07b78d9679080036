"""The similarity graph as a static plotly figure at the map's positions: a twin of the pyvis
view (core.viz.network) for exports."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from core.analysis.graph import Graph
from core.viz.layout import placed_sample
from core.viz.map_plot import WEBGL_THRESHOLD, node_traces
from core.viz.style import add_note, map_layout
from core.viz.text import sample_note

# As core.viz.network.MAX_NETWORK_NODES: the exported network shows the Network view's nodes.
NETWORK_FIGURE_LIMIT = 1_500


def _scatter_class(n: int, webgl_above: int = WEBGL_THRESHOLD):
    return go.Scattergl if n > webgl_above else go.Scatter


def edge_segments(coords: np.ndarray, graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """x and y arrays drawing every edge as a segment, separated by NaN gaps (one trace)."""
    xs = np.full(graph.edge_count * 3, np.nan)
    ys = np.full(graph.edge_count * 3, np.nan)
    xs[0::3], xs[1::3] = coords[graph.src, 0], coords[graph.dst, 0]
    ys[0::3], ys[1::3] = coords[graph.src, 1], coords[graph.dst, 1]
    return xs, ys


def network_figure(
    coords: np.ndarray,
    graph: Graph,
    labels: np.ndarray,
    names: dict[int, str],
    hover: Sequence[str],
    *,
    title: str = "",
    width: int | None = None,
    height: int = 600,
    limit: int = NETWORK_FIGURE_LIMIT,
) -> go.Figure:
    """The similarity graph drawn at the map's positions: a static twin of the pyvis view, with
    the same fixed sample of at most `limit` nodes and the edges between them."""
    rows = placed_sample(graph.n, limit)
    kept = np.zeros(graph.n, dtype=bool)
    kept[rows] = True
    both = kept[graph.src] & kept[graph.dst]
    shown = Graph(graph.n, graph.src[both], graph.dst[both], graph.weight[both])
    xs, ys = edge_segments(coords, shown)
    edges = _scatter_class(shown.edge_count)(
        x=xs,
        y=ys,
        mode="lines",
        line={"width": 0.5, "color": "rgba(90,90,90,0.25)"},
        hoverinfo="skip",
        name="edges",
        showlegend=False,
    )
    size = 6 if len(rows) <= 2_000 else 3
    fig = go.Figure([edges, *node_traces(coords, labels, names, hover, rows, size)])
    fig.update_layout(map_layout(title, width, height))
    return add_note(fig, sample_note(len(rows), graph.n, "nodes")) if len(rows) < graph.n else fig
