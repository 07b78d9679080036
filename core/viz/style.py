"""The project's figure look: the title, template and margins every figure shares, the layout
of a map (hidden equal-scale axes, a legend of what colours it) and a note in a corner."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from core.viz.text import escape

MARGINS = {"l": 10, "r": 10, "t": 50, "b": 10}


def note_spec(text: str) -> dict:
    """A note in the figure's lower left corner (an annotation)."""
    return {
        "text": escape(text),
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 0,
        "xanchor": "left",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": 12, "color": "#444"},
        "bgcolor": "rgba(255,255,255,0.8)",
    }


def add_note(fig: go.Figure, text: str) -> go.Figure:
    """The figure with `text` as a note in its lower left corner."""
    fig.add_annotation(**note_spec(text))
    return fig


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
    fig.update_layout(_style_spec(title, width, height, top, **layout))
    return fig


def _style_spec(title: str, width: int | None, height: int, top: int = 50, **layout) -> dict:
    """style's layout as a dict (the template by name; no width: as wide as the page)."""
    spec = {
        "title": {"text": escape(title), "x": 0.01},
        "height": height,
        "template": "plotly_white",
        "margin": {**MARGINS, "t": top},
        **layout,
    }
    return spec if width is None else {**spec, "width": width}


def map_layout(
    title: str,
    width: int | None,
    height: int,
    points: np.ndarray | None = None,
    margin=0.0,
    legend_title: str = "community",
) -> dict:
    """A map's layout: the project's look, a legend of what colours it (a new `legend_title`
    shows every entry again), hidden equal-scale axes, and with `points` both axes' ranges set
    to span the placed (finite) ones, `margin` of the span wider on each side, so plotly need
    not find them on every redraw."""
    xaxis, yaxis = {"visible": False}, {"visible": False, "scaleanchor": "x"}
    placed = np.empty((0, 2)) if points is None else points[np.isfinite(points).all(axis=1)]
    if len(placed):
        low, high = placed.min(axis=0), placed.max(axis=0)
        pad = margin * np.maximum(high - low, 1e-9)
        xaxis["range"] = [float(low[0] - pad[0]), float(high[0] + pad[0])]
        yaxis["range"] = [float(low[1] - pad[1]), float(high[1] + pad[1])]
    legend = {
        "title": {"text": escape(legend_title)},
        "itemsizing": "constant",
        "uirevision": legend_title,
    }
    return _style_spec(title, width, height, legend=legend, xaxis=xaxis, yaxis=yaxis)
