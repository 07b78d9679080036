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
from core.viz.lineage_labels import Box, fit, label_box, place_once
from core.viz.palette import community_colour
from core.viz.style import style
from core.viz.text import escape

MIN_TREE_SHARE = 0.05
SHARE_BINS = (MIN_TREE_SHARE, 0.25, 0.5, 0.8, 1.0)  # edge width and opacity levels
SANKEY_EDGE = 0.001  # plotly misplaces Sankey nodes placed exactly at 0 or 1
SANKEY_FONT = 11  # label font size, pixels
SANKEY_PAD = 8  # pixels between the nodes of a column
SANKEY_THICKNESS = 14
SANKEY_LABEL_OFFSET = 3.25  # plotly's gap between a node and its label (half its line + 3 px)
SANKEY_GAP = 150  # pixels between columns: the room each column's names have
SANKEY_ROW = 17  # pixels of height per node in the most crowded column
SANKEY_TOP = 70
SIDE_MARGIN = 10  # the project's figure margin (core.viz.style.style) left, right and below
TREE_FONT = 11
TREE_GAP = 150  # pixels between the tree's columns (and right of the last, for its names)
TREE_LEFT = 24  # pixels left of the first column
TREE_ROW = 20  # pixels of height per marker in the most crowded column
TREE_MARKER = 34  # the largest marker's diameter, pixels
TREE_TEXT_GAP = 4  # plotly's gap between a marker and its "middle right" text, at most


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


def sankey_figure(
    data: SankeyData, *, title: str = "", height: int | None = None, width: int | None = None
) -> go.Figure:
    """Documents flowing between communities of consecutive sizes; one column per size. Each
    community is named once, beside the widest of its nodes where the name overlaps no other
    (see core.viz.lineage_labels); every node names its community on hover. The figure is as
    wide as its columns need (SANKEY_GAP pixels apart) and as tall as its most crowded column
    needs to keep its names readable."""
    dims = data.dims
    nodes = np.arange(len(data.node_labels))
    rows = [nodes[data.node_dims == d].tolist() for d in dims]
    edges = list(zip(data.source.tolist(), data.target.tolist(), data.value.tolist(), strict=True))
    ordered = barycentre_rows(rows, edges)
    span = max(len(dims) - 1, 1)
    width = width or max(900, SANKEY_GAP * span + 2 * SIDE_MARGIN + 160)
    crowded = max((len(row) for row in ordered), default=1)
    height = height or max(600, SANKEY_TOP + SIDE_MARGIN + crowded * SANKEY_ROW)
    plot_w, plot_h = width - 2 * SIDE_MARGIN, height - SANKEY_TOP - SIDE_MARGIN
    x, y = _sankey_positions(ordered, _node_values(data), plot_h)
    names = [escape(label) for label in data.node_labels]
    shown = _sankey_labels(data, names, ordered, x * plot_w, y * plot_h, plot_w / span)
    colours = [community_colour(c) for c in data.node_communities.tolist()]
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            textfont={"size": SANKEY_FONT},
            node={
                "label": shown,
                "x": x.tolist(),
                "y": y.tolist(),
                "color": colours,
                "pad": SANKEY_PAD,
                "thickness": SANKEY_THICKNESS,
                "customdata": [
                    [int(size), int(dim), name]
                    for size, dim, name in zip(data.node_sizes, data.node_dims, names, strict=True)
                ],
                "hovertemplate": (
                    "%{customdata[2]}<br>%{customdata[0]} docs at %{customdata[1]} dims"
                    "<extra></extra>"
                ),
            },
            link={
                "source": data.source.tolist(),
                "target": data.target.tolist(),
                "value": data.value.tolist(),
                "color": [_rgba(colours[s], 0.35) for s in data.source.tolist()],
                "customdata": [
                    [names[s], names[t]]
                    for s, t in zip(data.source.tolist(), data.target.tolist(), strict=True)
                ],
                "hovertemplate": "%{customdata[0]} → %{customdata[1]}<br>%{value} docs"
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
    return style(fig, title, width=width, height=height, top=SANKEY_TOP)


def _node_values(data: SankeyData) -> np.ndarray:
    """Each node's value as plotly's Sankey takes it: the larger of its in- and outflow."""
    n = len(data.node_labels)
    inflow = np.bincount(data.target, data.value, minlength=n)
    outflow = np.bincount(data.source, data.value, minlength=n)
    return np.maximum(inflow, outflow)


def _sankey_positions(
    ordered: list[list[int]], values: np.ndarray, plot_h: float
) -> tuple[np.ndarray, np.ndarray]:
    """Node centres as fractions of the plot, x by column and y stacked down each column
    (centred in the plot) at the heights plotly gives them: one scale of pixels per document
    for every column, the largest that fits the fullest column with SANKEY_PAD between nodes.
    Nodes placed so never overlap, and plotly's "snap" leaves them where they are."""
    n = len(values)
    x, y = np.zeros(n), np.zeros(n)
    span = max(len(ordered) - 1, 1)
    scale = min(
        (plot_h - (len(row) - 1) * SANKEY_PAD) / max(values[row].sum(), 1.0) for row in ordered
    )
    for column, row in enumerate(ordered):
        heights = values[row] * scale
        stacked = heights.sum() + (len(row) - 1) * SANKEY_PAD
        above = np.concatenate([[0.0], np.cumsum(heights + SANKEY_PAD)[:-1]])
        tops = (plot_h - stacked) / 2 + above
        y[row] = (tops + heights / 2) / plot_h
        x[row] = column / span
    return np.clip(x, SANKEY_EDGE, 1 - SANKEY_EDGE), np.clip(y, SANKEY_EDGE, 1 - SANKEY_EDGE)


def _sankey_label_start(x: float, last: bool) -> float:
    """Where plotly starts a node's label (pixels): right of the node, left of it (ending
    there) in the last column."""
    offset = SANKEY_THICKNESS / 2 + SANKEY_LABEL_OFFSET
    return x - offset if last else x + offset


def _sankey_labels(
    data: SankeyData,
    names: list[str],
    ordered: list[list[int]],
    x: np.ndarray,
    y: np.ndarray,
    gap: float,
) -> list[str]:
    """The label each node shows: its community's name (cut to the room between columns) at
    one node per community, chosen by place_once from its nodes widest first; "" elsewhere."""
    column_of = {node: k for k, row in enumerate(ordered) for node in row}
    last = len(ordered) - 1
    room = gap - SANKEY_THICKNESS - SANKEY_LABEL_OFFSET - 6
    texts = [fit(name, room, SANKEY_FONT) for name in names]
    by_community: dict[int, list[int]] = {}
    for node in sorted(column_of, key=lambda m: (-data.node_sizes[m], column_of[m])):
        if texts[node]:
            by_community.setdefault(int(data.node_communities[node]), []).append(node)
    candidates = [
        [
            (
                node,
                label_box(
                    _sankey_label_start(x[node], column_of[node] == last),
                    y[node],
                    texts[node],
                    SANKEY_FONT,
                    end=column_of[node] == last,
                ),
            )
            for node in options
        ]
        for options in by_community.values()  # widest community first: the order of the sort
    ]
    placed = place_once(candidates)
    return [texts[node] if node in placed else "" for node in range(len(names))]


def sankey_label_boxes(fig: go.Figure) -> list[tuple[str, Box]]:
    """The figure's shown node labels with their boxes in pixels, from its own node positions,
    size and font (plotly draws a label beside its node, vertically centred; in the last column
    on the node's left)."""
    spec = fig.to_dict()
    (trace,) = spec["data"]
    layout = spec["layout"]
    margin = layout["margin"]
    plot_w = layout["width"] - margin["l"] - margin["r"]
    plot_h = layout["height"] - margin["t"] - margin["b"]
    node = trace["node"]
    size = trace["textfont"]["size"]
    right = max(node["x"])
    out = []
    for label, x, y in zip(node["label"], node["x"], node["y"], strict=True):
        if label:
            last = x == right
            start = margin["l"] + _sankey_label_start(x * plot_w, last)
            box = label_box(start, margin["t"] + y * plot_h, label, size, end=last)
            out.append((label, box))
    return out


def tree_figure(
    tree: nx.DiGraph, *, title: str = "", height: int | None = None, width: int | None = None
) -> go.Figure:
    """Clustree-style tree on its side: one column per size (largest on the left), one marker
    per community sized by its documents, and lines to the next size whose width and opacity
    follow the share sent. Each community is named once, right of the largest of its markers
    where the name overlaps no other; every marker names its community on hover. Positions
    are the plot's pixels (the axes span them exactly), so the label boxes are known."""
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
    span = max(len(dims) - 1, 1)
    crowded = max((len(row) for row in ordered), default=1)
    width = width or max(900, TREE_GAP * span + 2 * SIDE_MARGIN + TREE_LEFT + TREE_GAP)
    height = height or max(600, SANKEY_TOP + SIDE_MARGIN + crowded * TREE_ROW)
    plot_w, plot_h = width - 2 * SIDE_MARGIN, height - SANKEY_TOP - SIDE_MARGIN
    gap = (plot_w - TREE_LEFT - TREE_GAP) / span
    spacing = plot_h / crowded
    position: dict[Hashable, tuple[float, float]] = {}
    for column, row in enumerate(ordered):
        offset = (plot_h - len(row) * spacing) / 2
        for k, node in enumerate(row):
            position[node] = (TREE_LEFT + column * gap, offset + (k + 0.5) * spacing)

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
    biggest = min(TREE_MARKER, 0.9 * spacing)
    diameters = 6 + (biggest - 6) * np.sqrt(sizes / largest)
    names = [escape(tree.nodes[n]["name"]) for n in nodes]
    texts = _tree_labels(tree, nodes, names, position, diameters, gap - biggest - 6)
    traces.append(
        go.Scatter(
            x=[position[n][0] for n in nodes],
            y=[position[n][1] for n in nodes],
            mode="markers+text",
            marker={
                "size": diameters.tolist(),
                "color": [community_colour(tree.nodes[n]["community"]) for n in nodes],
                "line": {"width": 1, "color": "white"},
            },
            text=texts,
            textposition="middle right",
            textfont={"size": TREE_FONT, "color": "#2a3f5f"},
            customdata=[
                [name, tree.nodes[n]["size"], tree.nodes[n]["dim"], tree.nodes[n]["community"]]
                for n, name in zip(nodes, names, strict=True)
            ],
            hovertemplate=(
                "%{customdata[0]}<br>%{customdata[1]} docs at %{customdata[2]} dims<extra></extra>"
            ),
            name="communities",
            showlegend=False,
        )
    )
    fig = go.Figure(traces)
    for column, dim in enumerate(dims):
        fig.add_annotation(
            x=TREE_LEFT + column * gap,
            y=1.0,
            xref="x",
            yref="paper",
            yanchor="bottom",
            text=f"<b>{dim} dims</b>",
            showarrow=False,
        )
    return style(
        fig,
        title,
        width=width,
        height=height,
        top=SANKEY_TOP,
        xaxis={"visible": False, "range": [0, plot_w], "autorange": False},
        yaxis={"visible": False, "range": [plot_h, 0], "autorange": False},
    )


def _tree_labels(
    tree: nx.DiGraph,
    nodes: list[Hashable],
    names: list[str],
    position: dict[Hashable, tuple[float, float]],
    diameters: np.ndarray,
    room: float,
) -> list[str]:
    """The label each marker shows: its community's name (cut to `room`) at one marker per
    community, chosen by place_once from its markers largest first; "" elsewhere."""
    texts = [fit(name, room, TREE_FONT) for name in names]
    index = {node: k for k, node in enumerate(nodes)}
    by_community: dict[int, list[Hashable]] = {}
    for node in sorted(nodes, key=lambda m: (-tree.nodes[m]["size"], -tree.nodes[m]["dim"])):
        if texts[index[node]]:
            by_community.setdefault(tree.nodes[node]["community"], []).append(node)
    candidates = [
        [
            (node, _tree_label_box(position[node], diameters[index[node]], texts[index[node]]))
            for node in options
        ]
        for options in by_community.values()
    ]
    placed = place_once(candidates)
    return [texts[k] if node in placed else "" for k, node in enumerate(nodes)]


def _tree_label_box(centre: tuple[float, float], diameter: float, text: str) -> Box:
    """A marker's label box in plot pixels: plotly starts "middle right" text just past the
    marker's edge."""
    x, y = centre
    return label_box(x + diameter / 2 + TREE_TEXT_GAP, y, text, TREE_FONT)


def tree_label_boxes(fig: go.Figure) -> list[tuple[str, Box]]:
    """The tree figure's shown labels with their boxes in plot pixels, from its own marker
    positions, sizes and font."""
    nodes = next(t for t in fig.to_dict()["data"] if t["name"] == "communities")
    return [
        (text, _tree_label_box((x, y), size, text))
        for text, x, y, size in zip(
            nodes["text"], nodes["x"], nodes["y"], nodes["marker"]["size"], strict=True
        )
        if text
    ]


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
