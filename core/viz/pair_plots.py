"""Two documents across sizes, drawn from core.analysis.pairs.compare_pair's rows: their value
under each measure, and their ranks in each other's neighbour lists. Nothing is saved or shown."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from core.analysis.measures import MEASURES
from core.viz.fidelity_plots import dims_axis
from core.viz.style import style
from core.viz.text import escape

MEASURE_COLOURS = dict(zip(MEASURES, qualitative.D3, strict=False))
# (rank column, legend text, dash, marker) per direction; the markers differ so that a line
# hidden under another one (equal ranks) still shows
DIRECTIONS = (
    ("rank_b_in_a", "{b} in {a}'s list", "solid", "circle"),
    ("rank_a_in_b", "{a} in {b}'s list", "dash", "x"),
)


def pair_value_figure(
    pairs: pd.DataFrame, *, title: str = "", width: int | None = None, height: int = 380
) -> go.Figure:
    """One panel per measure: the pair's value against size (log x), with the full-size value
    as a dotted line and a labelled marker."""
    fig = make_subplots(
        rows=1,
        cols=len(MEASURES),
        subplot_titles=[MEASURES[m].label for m in MEASURES],
        horizontal_spacing=0.07,
    )
    for col, (measure, spec) in enumerate(MEASURES.items(), start=1):
        rows = pairs[pairs["measure"] == measure].sort_values("dim")
        full = rows.iloc[-1]
        colour = MEASURE_COLOURS[measure]
        fig.add_trace(
            go.Scatter(
                x=rows["dim"].tolist(),
                y=rows["value"].tolist(),
                mode="lines+markers",
                name=spec.label,
                line={"color": colour},
                showlegend=False,
                hovertemplate=f"%{{x}} dims: %{{y:.4g}}<extra>{spec.label}</extra>",
            ),
            row=1,
            col=col,
        )
        fig.add_hline(
            y=full["value"],
            line={"dash": "dot", "color": "grey", "width": 1},
            annotation_text=f"full size ({full['dim']}): {full['value']:.3g}",
            annotation_position="top left",
            row=1,
            col=col,
        )
        fig.add_trace(
            go.Scatter(
                x=[full["dim"]],
                y=[full["value"]],
                mode="markers",
                name="full size",
                marker={"size": 12, "color": colour, "symbol": "diamond"},
                showlegend=False,
                hoverinfo="skip",
            ),
            row=1,
            col=col,
        )
        fig.update_xaxes(dims_axis(rows["dim"].to_numpy()), row=1, col=col)
        fig.update_yaxes(title_text=spec.value_name, row=1, col=col)
    return style(fig, title, width=width, height=height, top=80)


def pair_rank_figure(
    pairs: pd.DataFrame,
    names: tuple[str, str] = ("A", "B"),
    *,
    title: str = "",
    width: int | None = None,
    height: int = 420,
) -> go.Figure:
    """Each document's rank in the other's neighbour list against size, one colour per measure
    and one dash per direction; log y (1-2-5 ticks) with rank 1 (nearest) at the top."""
    a, b = (escape(n) for n in names)
    fig = go.Figure()
    for measure in MEASURES:
        rows = pairs[pairs["measure"] == measure].sort_values("dim")
        for column, legend, dash, symbol in DIRECTIONS:
            name = f"{legend.format(a=a, b=b)} · {measure}"
            fig.add_trace(
                go.Scatter(
                    x=rows["dim"].tolist(),
                    y=rows[column].tolist(),
                    mode="lines+markers",
                    name=name,
                    legendgroup=measure,
                    line={"color": MEASURE_COLOURS[measure], "dash": dash},
                    marker={"symbol": symbol, "size": 8},
                    hovertemplate=f"%{{x}} dims: rank %{{y}}<extra>{name}</extra>",
                )
            )
    worst = int(pairs[["rank_b_in_a", "rank_a_in_b"]].to_numpy().max())
    ticks = [t for t in (m * 10**e for e in range(7) for m in (1, 2, 5)) if t <= worst * 1.5]
    fig.update_layout(
        xaxis=dims_axis(pairs["dim"].to_numpy()),
        yaxis={
            "type": "log",
            # a descending range puts rank 1 at the top, whatever the best rank drawn
            "range": [math.log10(worst * 1.3), math.log10(0.8)],
            "tickvals": ticks,
            "title": {"text": "rank (1 = nearest)"},
        },
        legend={"title": {"text": "rank of"}},
    )
    return style(fig, title, width=width, height=height)
