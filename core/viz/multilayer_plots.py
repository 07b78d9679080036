"""The community hierarchy of the multi-layer graph as a plotly figure (never saved or shown).

Coarse sizes on top, the full size at the bottom: every row holds all the documents, split into
boxes by community, and ribbons between neighbouring rows carry the documents two communities
share. Topics found at every size (backbones) are drawn in colour; the rest are faded.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import networkx as nx
import numpy as np
import plotly.graph_objects as go

from core.analysis.multilayer import BACKBONE, Topic
from core.viz.lineage_plots import barycentre_rows
from core.viz.palette import community_colour
from core.viz.style import style
from core.viz.text import escape

BOX_HEIGHT = 0.34  # of the distance between two rows
ROW_GAPS = 0.12  # at most this share of a row's width is left as gaps between its boxes
OTHER_OPACITY = 0.3
RIBBON_OPACITY = 0.55
LABEL_WIDTH = 0.03  # boxes at least this wide (share of the row) show their community id
FLOW_HOVER_SHARE = 0.05  # ribbons carrying at least this share of their community hover
KEY = (
    "Each row holds every document; box width = its community's share, ribbon width = documents "
    "two communities share. Outlined: backbone topics, found at every size."
)
CURVE = np.linspace(0.0, 1.0, 12)
Box = tuple[float, float]


def _rows(tree: nx.DiGraph) -> tuple[list[int], list[list[Hashable]]]:
    """Sizes largest first, and each size's communities in an order with few ribbon crossings."""
    dims = sorted({a["dim"] for _, a in tree.nodes(data=True)}, reverse=True)
    rows = [sorted(n for n, a in tree.nodes(data=True) if a["dim"] == d) for d in dims]
    edges = [(s, t, a["count"]) for s, t, a in tree.edges(data=True)]
    return dims, barycentre_rows(rows, edges)


def _boxes(tree: nx.DiGraph, ordered: Sequence[Sequence[Hashable]]) -> dict[Hashable, Box]:
    """(left, right) of every community's box: each row spans 0 to 1, its boxes taking the
    width in proportion to their members, with equal gaps (the same in every row) between."""
    widest = max(len(row) for row in ordered)
    gap = ROW_GAPS / max(widest - 1, 1)
    boxes = {}
    for row in ordered:
        total = sum(tree.nodes[n]["size"] for n in row)
        usable = 1 - gap * (len(row) - 1)
        left = 0.0
        for node in row:
            width = usable * tree.nodes[node]["size"] / total
            boxes[node] = (left, left + width)
            left += width + gap
    return boxes


def _ribbon_ends(
    tree: nx.DiGraph, boxes: dict[Hashable, Box]
) -> dict[tuple[Hashable, Hashable], tuple[Box, Box]]:
    """For each tree edge, the slice of the parent's box it leaves from and of the child's box
    it arrives at: widths in proportion to the shared documents, ordered left to right by the
    box at the other end, so the ribbons of one box do not cross each other."""
    leave: dict[tuple[Hashable, Hashable], Box] = {}
    arrive: dict[tuple[Hashable, Hashable], Box] = {}
    for node in tree.nodes:
        left, right = boxes[node]
        scale = (right - left) / tree.nodes[node]["size"]
        for edges, other, ends in (
            (tree.out_edges(node, data="count"), 1, leave),
            (tree.in_edges(node, data="count"), 0, arrive),
        ):
            x = left
            for edge in sorted(edges, key=lambda e: boxes[e[other]][0]):
                ends[edge[:2]] = (x, x + edge[2] * scale)
                x += edge[2] * scale
    return {key: (leave[key], arrive[key]) for key in leave}


def _ribbon(bottom: Box, top: Box, y0: float, y1: float) -> tuple[list, list]:
    """A closed ribbon outline from a slice at height y0 up to a slice at y1 (smooth sides),
    followed by None so several ribbons share one trace."""
    ease = 3 * CURVE**2 - 2 * CURVE**3
    ys = y0 + (y1 - y0) * CURVE
    left = bottom[0] + (top[0] - bottom[0]) * ease
    right = bottom[1] + (top[1] - bottom[1]) * ease
    xs = [*left, *right[::-1], left[0], None]
    return xs, [*ys, *ys[::-1], ys[0], None]


def hierarchy_figure(
    tree: nx.DiGraph, found: Sequence[Topic], *, title: str = "", height: int = 700
) -> go.Figure:
    """The community hierarchy of a cluster tree (core.analysis.lineage.cluster_tree): one row
    per size, the smallest on top; box widths are shares of the documents, ribbon widths the
    documents shared by two communities of neighbouring sizes. Backbone topics (found, see
    core.analysis.multilayer.topics) are drawn in their colour with an outline and named in the
    legend; every other community and ribbon is faded."""
    dims, ordered = _rows(tree)
    level = {d: k for k, d in enumerate(dims)}  # the full size at the bottom (y = 0)
    boxes = _boxes(tree, ordered)
    ends = _ribbon_ends(tree, boxes)
    half = BOX_HEIGHT / 2
    topic_of = {n: t for t in found if t.status == BACKBONE for n in t.nodes}

    def outline(edge: tuple[Hashable, Hashable]) -> tuple[list, list]:
        parent, child = edge
        return _ribbon(
            *ends[edge],
            level[tree.nodes[parent]["dim"]] + half,
            level[tree.nodes[child]["dim"]] - half,
        )

    traces: list = []
    faded = [
        (s, t) for s, t in tree.edges if s not in topic_of or topic_of[s] is not topic_of.get(t)
    ]
    traces.append(_ribbon_trace([outline(e) for e in faded], "#7f7f7f", "", OTHER_OPACITY))
    for topic in (t for t in found if t.status == BACKBONE):
        steps = list(zip(topic.nodes[:-1], topic.nodes[1:], strict=True))
        traces.append(
            _ribbon_trace(
                [outline(e) for e in steps],
                community_colour(topic.communities[0]),
                escape(topic.names[0]),
                RIBBON_OPACITY,
            )
        )
    traces.append(_flow_hovers(tree, ends, level, half))
    traces.append(_box_hovers(tree, boxes, level))
    shapes = [
        {
            "type": "rect",
            "x0": left,
            "x1": right,
            "y0": level[tree.nodes[node]["dim"]] - half,
            "y1": level[tree.nodes[node]["dim"]] + half,
            "fillcolor": community_colour(tree.nodes[node]["community"]),
            "opacity": 1.0 if node in topic_of else OTHER_OPACITY,
            "line": {"width": 1.5 if node in topic_of else 0, "color": "#222"},
            "layer": "below",
        }
        for node, (left, right) in boxes.items()
    ]
    fig = go.Figure(traces, layout={"shapes": shapes})
    style(
        fig,
        title,
        height=height,
        top=80,
        xaxis={"visible": False, "range": [-0.01, 1.01]},
        yaxis={
            "title": {"text": "dimensions"},
            "tickvals": [level[d] for d in dims],
            "ticktext": [str(d) for d in dims],
            "range": [-0.6, len(dims) - 0.4],
            "zeroline": False,
            "showgrid": False,
        },
        legend={"title": {"text": "backbone topics (found at every size)"}},
        hoverlabel={"namelength": -1},
    )
    fig.update_layout(
        title_subtitle_text=KEY if topic_of else f"{KEY} None is found at every size here."
    )
    return fig


def _ribbon_trace(
    outlines: list[tuple[list, list]], colour: str, name: str, opacity: float
) -> go.Scatter:
    """Filled ribbons in one trace; named ones (backbone topics) are listed in the legend."""
    xs = [x for outline in outlines for x in outline[0]]
    ys = [y for outline in outlines for y in outline[1]]
    return go.Scatter(
        x=xs,
        y=ys,
        mode="lines",
        fill="toself",
        fillcolor=colour,
        line={"width": 0, "color": colour},
        opacity=opacity,
        hoverinfo="skip",
        name=name,
        showlegend=bool(name),
    )


def _flow_hovers(
    tree: nx.DiGraph,
    ends: dict[tuple[Hashable, Hashable], tuple[Box, Box]],
    level: dict[int, int],
    half: float,
) -> go.Scatter:
    """Invisible hover points in the middle of the ribbons carrying at least FLOW_HOVER_SHARE
    of their community."""
    shown = [(s, t, a) for s, t, a in tree.edges(data=True) if a["share"] >= FLOW_HOVER_SHARE]
    x = [sum(ends[(s, t)][0] + ends[(s, t)][1]) / 4 for s, t, _ in shown]
    y = [(level[tree.nodes[s]["dim"]] + level[tree.nodes[t]["dim"]]) / 2 for s, t, _ in shown]
    text = [
        f"{escape(tree.nodes[s]['name'])} ({tree.nodes[s]['dim']} dims) → "
        f"{escape(tree.nodes[t]['name'])} ({tree.nodes[t]['dim']} dims)"
        f"<br>{a['count']} shared docs, {a['share']:.0%} of the first"
        for s, t, a in shown
    ]
    return go.Scatter(
        x=x,
        y=y,
        mode="markers",
        marker={"size": 12, "opacity": 0},
        text=text,
        hovertemplate="%{text}<extra></extra>",
        name="ribbons",
        showlegend=False,
    )


def _box_hovers(tree: nx.DiGraph, boxes: dict[Hashable, Box], level: dict[int, int]) -> go.Scatter:
    """One point per community at its box's centre: its id on wide boxes, its name on hover."""
    nodes = list(boxes)
    attrs = [tree.nodes[n] for n in nodes]
    return go.Scatter(
        x=[sum(boxes[n]) / 2 for n in nodes],
        y=[level[a["dim"]] for a in attrs],
        mode="markers+text",
        marker={"size": 14, "opacity": 0},
        text=[
            str(a["community"]) if boxes[n][1] - boxes[n][0] >= LABEL_WIDTH else ""
            for n, a in zip(nodes, attrs, strict=True)
        ],
        textfont={"size": 10, "color": "#111"},
        customdata=[[escape(a["name"]), a["size"], a["dim"]] for a in attrs],
        hovertemplate=(
            "%{customdata[0]}<br>%{customdata[1]} docs at %{customdata[2]} dims<extra></extra>"
        ),
        name="communities",
        showlegend=False,
    )
