"""Plotly figures of retrieval quality per size × precision: quality against bytes per vector
with the Pareto frontier and the recommended point, and quality kept against agreement with
the full size (where the proxy misleads). They never save or show."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from core.analysis.retrieval import PRECISIONS, metric_label, pareto_front
from core.runtime.units import size_text
from core.viz.style import style

PRECISION_COLOURS = dict(zip(PRECISIONS, qualitative.Safe, strict=False))
PRECISION_SYMBOLS = {
    "float32": "circle",
    "int8": "square",
    "binary": "diamond",
    "binary+rescore": "triangle-up",
}


def _hover(rows: pd.DataFrame, metric: str, label: str) -> list[str]:
    return [
        f"<b>{int(r['dim'])} dims · {r['precision']}</b><br>{label} {r[metric]:.3f} "
        f"[{r[f'{metric}_low']:.3f}–{r[f'{metric}_high']:.3f}]<br>"
        f"{size_text(int(r['bytes_per_vector']))} per vector · {r['ms_per_query']:.2f} ms/query"
        for _, r in rows.iterrows()
    ]


def _points(rows: pd.DataFrame, precision: str, x: str, y: str, hover: list[str]) -> go.Scatter:
    """One precision's configurations as points labelled by their size."""
    colour = PRECISION_COLOURS[precision]
    return go.Scatter(
        x=rows[x].tolist(),
        y=rows[y].tolist(),
        mode="markers+text",
        name=precision,
        text=[str(int(d)) for d in rows["dim"]],
        textfont={"size": 10, "color": colour},
        marker={"color": colour, "symbol": PRECISION_SYMBOLS[precision], "size": 10},
        hovertext=hover,
        hoverinfo="text",
    )


def quality_figure(
    table: pd.DataFrame,
    *,
    metric: str = "ndcg_at_10",
    chosen: tuple[int, str] | None = None,
    threshold: float | None = None,
    title: str = "",
    width: int | None = None,
    height: int = 500,
) -> go.Figure:
    """Every (size, precision) as a point of `metric` (with its 95% interval) against bytes per
    vector on a log axis, one colour and symbol per precision; the Pareto frontier as a line,
    the `chosen` (dim, precision) ringed and `threshold` (the quality to keep) dashed."""
    k = int(table["k"].iloc[0])
    label = metric_label(metric, k)
    fig = go.Figure()
    for precision in PRECISIONS:
        rows = table[table["precision"] == precision]
        if rows.empty:
            continue
        points = _points(rows, precision, "bytes_per_vector", metric, _hover(rows, metric, label))
        points.update(
            textposition="top center",
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (rows[f"{metric}_high"] - rows[metric]).tolist(),
                "arrayminus": (rows[metric] - rows[f"{metric}_low"]).tolist(),
                "thickness": 1,
                "width": 3,
            },
        )
        fig.add_trace(points)
    front = table[pareto_front(table, metric)].sort_values("bytes_per_vector")
    fig.add_trace(
        go.Scatter(
            x=front["bytes_per_vector"].tolist(),
            y=front[metric].tolist(),
            mode="lines",
            name="Pareto frontier",
            line={"color": "#444", "width": 1.5, "shape": "hv"},
            hoverinfo="skip",
        )
    )
    if chosen is not None:
        picked = table[(table["dim"] == chosen[0]) & (table["precision"] == chosen[1])]
        fig.add_trace(
            go.Scatter(
                x=picked["bytes_per_vector"].tolist(),
                y=picked[metric].tolist(),
                mode="markers",
                name="recommended",
                marker={
                    "size": 22,
                    "color": "rgba(0,0,0,0)",
                    "line": {"width": 2.5, "color": "#d62728"},
                },
                hoverinfo="skip",
            )
        )
    if threshold is not None:
        fig.add_hline(
            y=threshold,
            line={"dash": "dash", "color": "#d62728", "width": 1},
            annotation_text="quality to keep",
            annotation_position="bottom right",
        )
    ticks = sorted({int(b) for b in table["bytes_per_vector"]})
    return style(
        fig,
        title,
        width=width,
        height=height,
        xaxis={
            "type": "log",
            "title": {"text": "bytes per vector in memory (log scale)"},
            "tickvals": ticks,
            "ticktext": [size_text(b) for b in ticks],
        },
        yaxis={"title": {"text": f"{label} (95% interval)"}},
        legend={"orientation": "h", "y": -0.18},
    )


def proxy_figure(
    table: pd.DataFrame,
    *,
    metric: str = "ndcg_at_10",
    title: str = "",
    width: int | None = None,
    height: int = 450,
) -> go.Figure:
    """Share of the full size's `metric` kept against agreement (share of the full-size top k
    returned), per configuration: points far from the diagonal are where agreement, the proxy,
    misjudges quality."""
    k = int(table["k"].iloc[0])
    label = metric_label(metric, k)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name="quality kept = agreement",
            line={"dash": "dot", "color": "#999"},
            hoverinfo="skip",
        )
    )
    for precision in PRECISIONS:
        rows = table[table["precision"] == precision]
        if rows.empty:
            continue
        hover = [
            f"<b>{int(r['dim'])} dims · {precision}</b><br>agreement@{k} "
            f"{r['agreement_at_k']:.1%}<br>{label} kept {r[f'{metric}_share']:.1%}"
            for _, r in rows.iterrows()
        ]
        points = _points(rows, precision, "agreement_at_k", f"{metric}_share", hover)
        fig.add_trace(points.update(textposition="middle right"))
    top = float(np.nanmax([1.0, *table[f"{metric}_share"].tolist()])) * 1.05
    return style(
        fig,
        title,
        width=width,
        height=height,
        xaxis={"title": {"text": f"agreement@{k} with the full size"}, "range": [0, 1.05]},
        yaxis={"title": {"text": f"share of full-size {label} kept"}, "range": [0, top]},
        legend={"orientation": "h", "y": -0.2},
    )
