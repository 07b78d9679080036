"""Search results and the query-set trade-off curve, drawn; nothing is saved or shown here."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from pandas.io.formats.style import Styler
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from core.viz.fidelity_plots import dims_axis
from core.viz.style import style

OVERLAP_BACKGROUND = "background-color: rgba(44, 160, 44, 0.18)"
# (recall column, time column, trace name, colour) per search method in a query-set table
METHODS = (
    ("recall_at_k", "query_ms", "exact search", qualitative.D3[0]),
    ("recall_hnsw", "hnsw_ms", "approximate (faiss HNSW)", qualitative.D3[1]),
)


def highlight_overlap(table: pd.DataFrame) -> Styler:
    """A results_table with the documents both lists share shaded, values to 3 decimals."""
    return table.style.format(precision=3).apply(
        lambda line: [OVERLAP_BACKGROUND if line["in both"] else ""] * len(line), axis=1
    )


def query_set_figure(
    table: pd.DataFrame, *, title: str = "", width: int | None = None, height: int = 420
) -> go.Figure:
    """Two panels against size (log x, the full size marked): mean recall@k, and median
    milliseconds per query, one line per search method measured (exact, and HNSW if present)."""
    rows = table.sort_values("dim")
    k = int(rows["k"].iloc[0])
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=(f"recall@{k} vs full-size exact top {k}", "milliseconds per query"),
        horizontal_spacing=0.1,
    )
    for recall, ms, name, colour in METHODS:
        if recall not in rows.columns:
            continue
        for col, column, shown in ((1, recall, "%{y:.3f}"), (2, ms, "%{y:.3f} ms")):
            fig.add_trace(
                go.Scatter(
                    x=rows["dim"].tolist(),
                    y=rows[column].tolist(),
                    mode="lines+markers",
                    name=name,
                    legendgroup=name,
                    showlegend=col == 1,
                    line={"color": colour},
                    hovertemplate=f"%{{x}} dims: {shown}<extra>{name}</extra>",
                ),
                row=1,
                col=col,
            )
    full = int(rows["dim"].max())
    for col in (1, 2):
        # on a log axis a line takes the size itself, a text label its log
        fig.add_vline(x=full, line={"dash": "dot", "color": "grey", "width": 1}, row=1, col=col)
        fig.add_annotation(
            x=math.log10(full),
            y=1,
            yref="y domain",
            text=f"full size ({full})",
            showarrow=False,
            xanchor="right",
            row=1,
            col=col,
        )
        fig.update_xaxes(dims_axis(rows["dim"].to_numpy()), row=1, col=col)
    fig.update_yaxes(range=[-0.02, 1.05], title_text="recall", row=1, col=1)
    fig.update_yaxes(rangemode="tozero", title_text="ms", row=1, col=2)
    return style(fig, title, width=width, height=height, top=80)
