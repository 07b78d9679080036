"""Plotly figures for cluster lineage: Sankey, clustree-style tree and containment per step.

They take the precomputed data from core.analysis.lineage and never save or show anything.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import networkx as nx
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.analysis.lineage import CLEAN_NESTING, MOSTLY_NESTED, SankeyData
from core.viz.figures import community_colour, escape, style

MIN_TREE_SHARE = 0.05
SHARE_BINS = (MIN_TREE_SHARE, 0.25, 0.5, 0.8, 1.0)  # edge width and opacity levels
SANKEY_EDGE = 0.001  # plotly misplaces Sankey nodes placed exactly at 0 or 1


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def barycentre_rows(
    rows: Sequence[Sequence[Hashable]],
    edges: Sequence[tuple[Hashable, Hashable, float]],
    *,
    sweeps: int = 4,
) -> list[list[Hashable]]:
    """Order the nodes within each row to reduce weighted edge crossings between neighbouring
    rows: alternate down and up sweeps that sort each row by the weighted mean position of its
    neighbours in the row just fixed, and keep the best layout seen."""
    up: dict[Hashable, list[tuple[Hashable, float]]] = {}
    down: dict[Hashable, list[tuple[Hashable, float]]] = {}
    for parent, child, weight in edges:
        up.setdefault(child, []).append((parent, weight))
        down.setdefault(parent, []).append((child, weight))

    def sort_by(row: list[Hashable], fixed: list[Hashable], links: dict) -> list[Hashable]:
        position = {node: k for k, node in enumerate(fixed)}
        current = {node: k for k, node in enumerate(row)}

        def key(node: Hashable) -> tuple[float, int]:
            pairs = [(position[m], w) for m, w in links.get(node, []) if m in position]
            total = sum(w for _, w in pairs)
            centre = sum(p * w for p, w in pairs) / total if total > 0 else current[node]
            return centre, current[node]

        return sorted(row, key=key)

    layout = [list(row) for row in rows]
    best, fewest = [list(row) for row in layout], _crossings(layout, edges)
    for _ in range(sweeps):
        for k in range(1, len(layout)):
            layout[k] = sort_by(layout[k], layout[k - 1], up)
        for k in range(len(layout) - 2, -1, -1):
            layout[k] = sort_by(layout[k], layout[k + 1], down)
        count = _crossings(layout, edges)
        if count < fewest:
            best, fewest = [list(row) for row in layout], count
    return best


def _crossings(
    rows: Sequence[Sequence[Hashable]], edges: Sequence[tuple[Hashable, Hashable, float]]
) -> float:
    """Weighted number of edge crossings, counted between each pair of neighbouring rows."""
    place = {node: (level, k) for level, row in enumerate(rows) for k, node in enumerate(row)}
    by_level: dict[int, list[tuple[int, int, float]]] = {}
    for s, t, w in edges:
        by_level.setdefault(place[s][0], []).append((place[s][1], place[t][1], w))
    total = 0.0
    for spans in by_level.values():
        a, b, w = np.array(spans, dtype=float).T
        crossed = (a[:, None] - a[None, :]) * (b[:, None] - b[None, :]) < 0
        total += float((w[:, None] * w[None, :] * crossed).sum() / 2)
    return total


def sankey_figure(data: SankeyData, *, title: str = "", height: int = 600) -> go.Figure:
    """Documents flowing between communities of consecutive sizes; one column per size."""
    dims = data.dims
    nodes = np.arange(len(data.node_labels))
    rows = [nodes[data.node_dims == d].tolist() for d in dims]
    edges = list(zip(data.source.tolist(), data.target.tolist(), data.value.tolist(), strict=True))
    ordered = barycentre_rows(rows, edges)
    x = np.zeros(nodes.size)
    y = np.zeros(nodes.size)
    span = max(len(dims) - 1, 1)
    for column, row in enumerate(ordered):
        sizes = data.node_sizes[row].astype(float)
        centres = (np.cumsum(sizes) - sizes / 2) / max(sizes.sum(), 1.0)
        x[row] = column / span
        y[row] = centres
    x = np.clip(x, SANKEY_EDGE, 1 - SANKEY_EDGE)
    y = np.clip(y, SANKEY_EDGE, 1 - SANKEY_EDGE)
    names = [escape(label) for label in data.node_labels]
    colours = [community_colour(c) for c in data.node_communities.tolist()]
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": names,
                "x": x.tolist(),
                "y": y.tolist(),
                "color": colours,
                "pad": 8,
                "thickness": 14,
                "customdata": np.column_stack([data.node_sizes, data.node_dims]).tolist(),
                "hovertemplate": (
                    "%{label}<br>%{customdata[0]} docs at %{customdata[1]} dims<extra></extra>"
                ),
            },
            link={
                "source": data.source.tolist(),
                "target": data.target.tolist(),
                "value": data.value.tolist(),
                "color": [_rgba(colours[s], 0.35) for s in data.source.tolist()],
                "hovertemplate": "%{source.label} → %{target.label}<br>%{value} docs"
                "<extra></extra>",
            },
        )
    )
    for column, dim in enumerate(dims):
        anchor = "left" if column == 0 else "right" if column == span else "center"
        fig.add_annotation(
            x=column / span,
            y=1.0,
            yanchor="bottom",
            xanchor=anchor,
            xref="paper",
            yref="paper",
            text=f"<b>{dim} dims</b>",
            showarrow=False,
        )
    return style(fig, title, height=height, top=70)


def tree_figure(tree: nx.DiGraph, *, title: str = "", height: int = 600) -> go.Figure:
    """Clustree-style tree: one row per size (largest at top), one marker per community sized by
    its documents, and lines to the next size whose width and opacity follow the share sent."""
    dims = sorted({attrs["dim"] for _, attrs in tree.nodes(data=True)}, reverse=True)
    rows = [
        sorted(
            (n for n, a in tree.nodes(data=True) if a["dim"] == d),
            key=lambda n: tree.nodes[n]["community"],
        )
        for d in dims
    ]
    edges = [(s, t, a["count"]) for s, t, a in tree.edges(data=True)]
    ordered = barycentre_rows(rows, edges)
    widest = max((len(row) for row in ordered), default=1)
    position: dict[Hashable, tuple[float, int]] = {}
    for level, row in enumerate(ordered):
        offset = (widest - len(row)) / 2
        for k, node in enumerate(row):
            position[node] = (offset + k, level)

    traces: list = []
    bins = list(zip(SHARE_BINS[:-1], SHARE_BINS[1:], strict=True))
    for low, high in bins:
        xs: list[float | None] = []
        ys: list[float | None] = []
        for s, t, a in tree.edges(data=True):
            if low <= a["share"] < high or (high == SHARE_BINS[-1] and a["share"] == high):
                xs += [position[s][0], position[t][0], None]
                ys += [position[s][1], position[t][1], None]
        if not xs:
            continue
        middle = (low + high) / 2
        traces.append(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={
                    "width": 1 + 8 * middle,
                    "color": f"rgba(70,70,70,{0.15 + 0.6 * middle:.2f})",
                },
                hoverinfo="skip",
                name=f"share {low:.0%}–{high:.0%}",
                showlegend=False,
            )
        )

    shown = [(s, t, a) for s, t, a in tree.edges(data=True) if a["share"] >= MIN_TREE_SHARE]
    traces.append(
        go.Scatter(
            x=[(position[s][0] + position[t][0]) / 2 for s, t, _ in shown],
            y=[(position[s][1] + position[t][1]) / 2 for s, t, _ in shown],
            mode="markers",
            marker={"size": 10, "opacity": 0},
            text=[
                f"{escape(tree.nodes[s]['name'])} → {escape(tree.nodes[t]['name'])}"
                f"<br>{a['count']} docs ({a['share']:.0%} of the parent)"
                for s, t, a in shown
            ],
            hovertemplate="%{text}<extra></extra>",
            name="flows",
            showlegend=False,
        )
    )

    nodes = [n for row in ordered for n in row]
    sizes = np.array([tree.nodes[n]["size"] for n in nodes], dtype=float)
    largest = sizes.max() if sizes.size else 1.0
    traces.append(
        go.Scatter(
            x=[position[n][0] for n in nodes],
            y=[position[n][1] for n in nodes],
            mode="markers+text",
            marker={
                "size": (8 + 32 * np.sqrt(sizes / largest)).tolist(),
                "color": [community_colour(tree.nodes[n]["community"]) for n in nodes],
                "line": {"width": 1, "color": "white"},
            },
            text=[str(tree.nodes[n]["community"]) for n in nodes],
            textfont={"size": 9, "color": "white"},
            customdata=[
                [escape(tree.nodes[n]["name"]), tree.nodes[n]["size"], tree.nodes[n]["dim"]]
                for n in nodes
            ],
            hovertemplate=(
                "%{customdata[0]}<br>%{customdata[1]} docs at %{customdata[2]} dims<extra></extra>"
            ),
            name="communities",
            showlegend=False,
        )
    )
    fig = go.Figure(traces)
    return style(
        fig,
        title,
        height=height,
        xaxis={"visible": False},
        yaxis={
            "title": {"text": "dimensions"},
            "tickvals": list(range(len(dims))),
            "ticktext": [str(d) for d in dims],
            "autorange": "reversed",
            "zeroline": False,
            "showgrid": False,
        },
    )


def containment_figure(summary: pd.DataFrame, *, title: str = "", height: int = 400) -> go.Figure:
    """Chance-corrected nesting per ladder step, merges and splits side by side, with the verdict
    thresholds; 0 is what a random relabelling scores, so there is no separate chance line."""
    steps = [f"{a} → {b}" for a, b in zip(summary["from_dim"], summary["to_dim"], strict=True)]
    verdicts = [escape(str(v)) for v in summary["verdict"]]
    directions = (
        ("merge", "merges (larger size nests in smaller)"),
        ("split", "splits (smaller size nests in larger)"),
    )
    bars = [
        go.Bar(
            x=steps,
            y=summary[f"{direction}_corrected"].tolist(),
            name=name,
            marker={"color": community_colour(k)},
            customdata=list(
                zip(
                    summary[f"{direction}_nesting"],
                    summary[f"{direction}_chance"],
                    verdicts,
                    strict=True,
                )
            ),
            hovertemplate=(
                f"%{{x}} {direction}s: %{{y:.2f}} above chance "
                "(raw %{customdata[0]:.2f}, chance %{customdata[1]:.2f}; "
                "%{customdata[2]})<extra></extra>"
            ),
        )
        for k, (direction, name) in enumerate(directions)
    ]
    fig = go.Figure(bars)
    for level, words in ((CLEAN_NESTING, "clean"), (MOSTLY_NESTED, "mostly nested")):
        fig.add_hline(
            y=level,
            line={"width": 1, "dash": "dash", "color": "rgba(0,0,0,0.3)"},
            annotation_text=words,
            annotation_position="top left",
        )
    return style(
        fig,
        title,
        height=height,
        barmode="group",
        xaxis={"title": {"text": "ladder step (dims)"}, "type": "category"},
        yaxis={"title": {"text": "nesting above chance (0 = chance)"}, "range": [0, 1.05]},
        legend={"orientation": "h", "y": -0.25},
    )
