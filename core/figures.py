"""Plotly figures built from precomputed arrays; they never save or show anything."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from core.graph import Graph

PALETTE = qualitative.Dark24 + qualitative.Light24
WEBGL_THRESHOLD = 5_000
EXCERPT_CHARS = 160


def community_colour(community: int) -> str:
    """A stable colour per community id, so matched ids keep their colour across dims."""
    return PALETTE[int(community) % len(PALETTE)]


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A short, HTML-escaped, single-line excerpt for hover boxes."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return html.escape(flat)


def hover_texts(
    texts: Sequence[str], ids: Sequence[str], labels: Sequence[str] | None
) -> list[str]:
    """Escaped hover text per document: id, label if any, and an excerpt."""
    out = []
    for i, text in enumerate(texts):
        head = f"<b>{html.escape(ids[i])}</b>"
        if labels is not None:
            head += f" · label: {html.escape(str(labels[i]))}"
        out.append(f"{head}<br>{excerpt(text)}")
    return out


def _scatter_class(n: int):
    return go.Scattergl if n > WEBGL_THRESHOLD else go.Scatter


def _layout(fig: go.Figure, title: str, width: int | None, height: int) -> go.Figure:
    fig.update_layout(
        title={"text": html.escape(title), "x": 0.01},
        width=width,
        height=height,
        template="plotly_white",
        legend={"title": {"text": "community"}, "itemsizing": "constant"},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
    )
    return fig


def _node_traces(
    coords: np.ndarray,
    labels: np.ndarray,
    names: dict[int, str],
    hover: Sequence[str],
    size: int,
) -> list:
    scatter = _scatter_class(len(labels))
    traces = []
    for community in sorted(np.unique(labels).tolist()):
        members = np.flatnonzero(labels == community)
        traces.append(
            scatter(
                x=coords[members, 0],
                y=coords[members, 1],
                mode="markers",
                name=html.escape(names.get(community, str(community))),
                marker={"size": size, "color": community_colour(community), "line": {"width": 0}},
                text=[hover[i] for i in members],
                customdata=members,
                hovertemplate="%{text}<extra></extra>",
            )
        )
    return traces


def map_figure(
    coords: np.ndarray,
    labels: np.ndarray,
    names: dict[int, str],
    hover: Sequence[str],
    *,
    title: str = "",
    width: int | None = None,
    height: int = 600,
) -> go.Figure:
    """The 2-D map, one trace per community (legend = keyword names); customdata = row index."""
    size = 7 if len(labels) <= 2_000 else 4
    fig = go.Figure(_node_traces(coords, labels, names, hover, size))
    return _layout(fig, title, width, height)


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
) -> go.Figure:
    """The similarity graph drawn at the map's positions: a static twin of the pyvis view."""
    xs, ys = edge_segments(coords, graph)
    edges = _scatter_class(graph.edge_count)(
        x=xs,
        y=ys,
        mode="lines",
        line={"width": 0.5, "color": "rgba(90,90,90,0.25)"},
        hoverinfo="skip",
        name="edges",
        showlegend=False,
    )
    size = 6 if len(labels) <= 2_000 else 3
    fig = go.Figure([edges, *_node_traces(coords, labels, names, hover, size)])
    return _layout(fig, title, width, height)
