"""The ladder in one image: the map at every size side by side, in register (every size's map
starts from the full-size map and is rotated onto it, core.viz.layout), on the same axes, a
community in the same colour at every size, names on each panel and the size, recall and
community count under it."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from core.viz.layout import placed_sample
from core.viz.map_labels import LabelFrame, label_annotations, place_labels
from core.viz.map_scene import MapScene
from core.viz.palette import GREY, group_colours, group_sizes, small_threshold
from core.viz.text import escape, sample_note

LADDER_POINT_LIMIT = 5_000  # a fixed sample of this many documents is drawn in every panel
PANEL = 300  # pixels per panel, square
CAPTION = 34  # pixels under each panel for its caption
GAP = 14  # pixels between panels
TOP, BOTTOM, SIDE = 64, 40, 16  # pixels of the title, the footnote and the sides
PANEL_FONT = (8.0, 11.0)  # smallest and largest names on a panel
PANEL_NAMES = 15  # names per panel at most (the largest groups'), so a small panel stays legible


def ladder_columns(panels: int) -> int:
    """Panels per row: five at most, and rows as even as they can be."""
    rows = math.ceil(panels / 5)
    return math.ceil(panels / rows) if panels else 1


def small_multiples(
    scenes: Mapping[int, MapScene],
    recall: Mapping[int, float],
    *,
    title: str = "",
    recall_name: str = "recall",
    limit: int = LADDER_POINT_LIMIT,
) -> go.Figure:
    """One panel per size in `scenes` (largest first): the same fixed sample of at most
    `limit` documents in each, coloured by the scene's groups (ids matched across sizes, so a
    surviving group keeps its colour; small ones grey) and named by its names on the map (plain
    text per group; none without); each panel's caption gives the size, `recall` (a share) and
    the group count. The figure's layout carries its own width and height."""
    layouts = {dim: scene.coords for dim, scene in scenes.items()}
    dims = sorted(layouts, reverse=True)
    n = len(next(iter(scenes.values())).colours.codes)
    rows_drawn = placed_sample(n, limit)
    columns = ladder_columns(len(dims))
    lines = math.ceil(len(dims) / columns)
    width = 2 * SIDE + columns * PANEL + (columns - 1) * GAP
    height = TOP + BOTTOM + lines * (PANEL + CAPTION) + (lines - 1) * GAP
    x_range, y_range = _square_range(np.vstack([layouts[d][rows_drawn] for d in dims]))
    traces, annotations, shapes, axes = [], [], [], {}
    for i, dim in enumerate(dims):
        suffix = "" if i == 0 else str(i + 1)
        axes.update(_panel_axes(i, columns, suffix, (width, height), (x_range, y_range)))
        coords, labels = layouts[dim], np.asarray(scenes[dim].colours.codes)
        colours = group_colours(group_sizes(labels))
        traces.append(_panel_points(coords, labels, colours, rows_drawn, suffix, dim))
        shapes.append(_panel_frame(suffix))
        levels = scenes[dim].names_on_map
        if levels is not None:
            frame = LabelFrame(PANEL, PANEL, tuple(x_range), tuple(y_range))
            placed = place_labels(
                coords, labels, levels.names, frame, fine_font=PANEL_FONT, most=PANEL_NAMES
            )
            annotations += label_annotations(placed, suffix)
        count = int(np.unique(labels).size)
        caption = f"<b>{dim} dims</b> · {recall_name} {recall[dim]:.0%} · {count} communities"
        annotations.append(_caption(caption, suffix))
    notes = [
        "Maps in register: every size starts from the full-size map, rotated onto it. "
        f"A community keeps its colour while it survives; grey: under {small_threshold(n):,} "
        "documents."
    ]
    if len(rows_drawn) < n:
        notes.append(sample_note(len(rows_drawn), n) + " in every panel")
    annotations.append(_footnote(" · ".join(notes), SIDE / width))
    fig = go.Figure(traces)
    fig.update_layout(
        title={
            "text": escape(title),
            "x": SIDE / width,
            "xanchor": "left",
            "y": 1 - TOP / 2 / height,
            "yanchor": "middle",
            "font": {"size": 18},
        },
        width=width,
        height=height,
        template="plotly_white",
        showlegend=False,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        annotations=annotations,
        shapes=shapes,
        **axes,
    )
    return fig


def _panel_axes(
    i: int, columns: int, suffix: str, size: tuple[int, int], ranges: tuple[list, list]
) -> dict:
    """The x and y axes of panel `i` (`columns` to a row) in a figure of `size` pixels: its
    place, the shared `ranges`, equal scale."""
    (width, height), (x_range, y_range) = size, ranges
    line, column = divmod(i, columns)
    left = SIDE + column * (PANEL + GAP)
    top = TOP + line * (PANEL + CAPTION + GAP)
    return {
        f"xaxis{suffix}": {
            "domain": [left / width, (left + PANEL) / width],
            "range": x_range,
            "visible": False,
        },
        f"yaxis{suffix}": {
            "domain": [1 - (top + PANEL) / height, 1 - top / height],
            "range": y_range,
            "visible": False,
            "scaleanchor": f"x{suffix}",
        },
    }


def _square_range(points: np.ndarray) -> tuple[list[float], list[float]]:
    """Axis ranges spanning the finite points, widened to a square with a 4% margin (panels
    are square, so equal scale fills them)."""
    placed = points[np.isfinite(points).all(axis=1)]
    if not len(placed):
        return [-1.0, 1.0], [-1.0, 1.0]
    low, high = placed.min(axis=0), placed.max(axis=0)
    centre, half = (low + high) / 2, max(float((high - low).max()) / 2, 1e-9) * 1.04
    return [float(centre[0] - half), float(centre[0] + half)], [
        float(centre[1] - half),
        float(centre[1] + half),
    ]


def _panel_points(
    coords: np.ndarray,
    labels: np.ndarray,
    colours: Mapping[int, str],
    rows: np.ndarray,
    suffix: str,
    dim: int,
) -> go.Scatter:
    """One panel's points (SVG markers, sharp in SVG and PDF), grey ones drawn first."""
    grey = np.array([colours[c] == GREY for c in labels[rows].tolist()])
    rows = np.concatenate([rows[grey], rows[~grey]])
    size = 4 if len(rows) <= 2_000 else 2.5
    return go.Scatter(
        x=coords[rows, 0].astype(np.float32),
        y=coords[rows, 1].astype(np.float32),
        xaxis=f"x{suffix}",
        yaxis=f"y{suffix}",
        mode="markers",
        marker={
            "size": size,
            "color": [colours[c] for c in labels[rows].tolist()],
            "opacity": 0.85,
            "line": {"width": 0},
        },
        customdata=rows.astype(np.int32),
        hovertemplate=f"{dim} dims · row %{{customdata}}<extra></extra>",
        name=f"{dim} dims",
    )


def _panel_frame(suffix: str) -> dict:
    return {
        "type": "rect",
        "xref": f"x{suffix} domain",
        "yref": f"y{suffix} domain",
        "x0": 0,
        "x1": 1,
        "y0": 0,
        "y1": 1,
        "line": {"color": "#d0d0d0", "width": 1},
        "layer": "below",
    }


def _caption(text: str, suffix: str) -> dict:
    return {
        "text": text,
        "xref": f"x{suffix} domain",
        "yref": f"y{suffix} domain",
        "x": 0.5,
        "y": 0,
        "yshift": -6,
        "xanchor": "center",
        "yanchor": "top",
        "showarrow": False,
        "font": {"size": 13, "color": "#222"},
        "name": "caption",
    }


def _footnote(text: str, x: float) -> dict:
    return {
        "text": escape(text),
        "xref": "paper",
        "yref": "paper",
        "x": x,
        "y": 0,
        "yshift": 8,
        "xanchor": "left",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": 11, "color": "#555"},
        "name": "footnote",
    }
