"""Plotly figures built from precomputed arrays; they never save or show anything."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from core.analysis.graph import Graph

PALETTE = qualitative.Dark24 + qualitative.Light24
WEBGL_THRESHOLD = 5_000
EXCERPT_CHARS = 160


def escape(text: str) -> str:
    """Escape &, < and > in text shown by plotly or vis.js. Quotes stay as they are: they are
    harmless outside attributes, and vis.js shows titles as plain text, where an escaped
    apostrophe would read "&#x27;"."""
    return html.escape(text, quote=False)


def community_colour(community: int) -> str:
    """A stable colour per community id, so matched ids keep their colour across dims."""
    return PALETTE[int(community) % len(PALETTE)]


def shorten(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The text on one line, cut to `limit` characters with an ellipsis (not escaped)."""
    flat = " ".join(text.split())
    return flat[: limit - 1] + "…" if len(flat) > limit else flat


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A short, HTML-escaped, single-line excerpt for plotly hover boxes."""
    return escape(shorten(text, limit))


def hover_texts(
    texts: Sequence[str], ids: Sequence[str], labels: Sequence[str] | None
) -> list[str]:
    """Escaped hover text per document: id, label if any, and an excerpt."""
    out = []
    for i, text in enumerate(texts):
        head = f"<b>{escape(ids[i])}</b>"
        if labels is not None:
            head += f" · label: {escape(str(labels[i]))}"
        out.append(f"{head}<br>{excerpt(text)}")
    return out


def _scatter_class(n: int):
    return go.Scattergl if n > WEBGL_THRESHOLD else go.Scatter


def style(
    fig: go.Figure,
    title: str,
    *,
    width: int | None = None,
    height: int = 600,
    top: int = 50,
    **layout,
) -> go.Figure:
    """The project's figure look: escaped title, white template, tight margins, plus `layout`."""
    fig.update_layout(
        title={"text": escape(title), "x": 0.01},
        width=width,
        height=height,
        template="plotly_white",
        margin={"l": 10, "r": 10, "t": top, "b": 10},
        **layout,
    )
    return fig


def _layout(fig: go.Figure, title: str, width: int | None, height: int) -> go.Figure:
    return style(
        fig,
        title,
        width=width,
        height=height,
        legend={"title": {"text": "community"}, "itemsizing": "constant"},
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
    )


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
                name=escape(names.get(community, str(community))),
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


def ladder_animation(
    layouts: dict[int, np.ndarray],
    labels: dict[int, np.ndarray],
    hover: Sequence[str],
    *,
    title: str = "",
    height: int = 650,
) -> go.Figure:
    """The map played through the ladder (largest size first, then back up): one frame per size,
    points keyed by row so plotly moves them smoothly; colours follow matched community ids."""
    down = sorted(layouts, reverse=True)
    sequence = down + down[-2:0:-1]
    n = len(hover)
    ids = [str(i) for i in range(n)]

    def trace(dim: int) -> go.Scatter:
        return go.Scatter(
            x=layouts[dim][:, 0].tolist(),
            y=layouts[dim][:, 1].tolist(),
            ids=ids,
            mode="markers",
            marker={
                "size": 6 if n <= 2_000 else 3,
                "color": [community_colour(c) for c in labels[dim]],
            },
            text=list(hover),
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
        )

    def caption(dim: int) -> str:
        return f"{dim} dims · {np.unique(labels[dim]).size} communities"

    frames = [
        go.Frame(data=[trace(dim)], name=f"{step}", layout={"title": {"text": caption(dim)}})
        for step, dim in enumerate(sequence)
    ]
    fig = go.Figure(data=[trace(sequence[0])], frames=frames)
    play = {
        "frame": {"duration": 900, "redraw": False},
        "transition": {"duration": 600},
        "fromcurrent": True,
    }
    fig.update_layout(
        updatemenus=[
            {
                "type": "buttons",
                "showactive": False,
                "x": 0.0,
                "y": 1.08,
                "xanchor": "left",
                "buttons": [
                    {"label": "▶ Play", "method": "animate", "args": [None, play]},
                    {
                        "label": "❚❚ Pause",
                        "method": "animate",
                        "args": [[None], {"frame": {"duration": 0}, "mode": "immediate"}],
                    },
                ],
            }
        ],
        sliders=[
            {
                "currentvalue": {"prefix": "dims: "},
                "steps": [
                    {
                        "label": str(dim),
                        "method": "animate",
                        "args": [
                            [f"{step}"],
                            {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"},
                        ],
                    }
                    for step, dim in enumerate(sequence)
                ],
            }
        ],
    )
    _layout(fig, title or caption(sequence[0]), None, height)
    all_xy = np.vstack([layouts[d] for d in down])
    pad = 0.05 * (all_xy.max(axis=0) - all_xy.min(axis=0))
    fig.update_xaxes(range=[all_xy[:, 0].min() - pad[0], all_xy[:, 0].max() + pad[0]])
    fig.update_yaxes(range=[all_xy[:, 1].min() - pad[1], all_xy[:, 1].max() + pad[1]])
    return fig


def add_pins(
    fig: go.Figure, coords: np.ndarray, rows: Sequence[int], ids: Sequence[str]
) -> go.Figure:
    """Mark pinned documents on a map with a ring and their id."""
    rows = list(rows)
    fig.add_trace(
        go.Scatter(
            x=coords[rows, 0],
            y=coords[rows, 1],
            mode="markers+text",
            name="pinned",
            text=[escape(ids[i]) for i in rows],
            textposition="top center",
            marker={"size": 16, "color": "rgba(0,0,0,0)", "line": {"width": 3, "color": "black"}},
            hoverinfo="skip",
        )
    )
    return fig
