"""Plotly figures of fidelity, storage and search time per size; they never save or show."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from core.analysis.fidelity import (
    LATENCY_COLUMNS,
    PRECISION_BITS,
    QUANTIZED_PRECISIONS,
    vector_bytes,
)
from core.runtime.units import size_text
from core.viz.style import style

METRICS = {
    "recall_at_k": "kNN recall@{k}",
    "spearman": "Spearman of similarities",
    "ari": "ARI vs full-size communities",
}
METRIC_COLOURS = dict(zip(METRICS, qualitative.D3, strict=False))
PRECISION_COLOURS = dict(zip(PRECISION_BITS, qualitative.Safe, strict=False))
PRECISION_RECALL = {"float32": "recall_at_k", **{p: f"recall_{p}" for p in QUANTIZED_PRECISIONS}}
ORDERING_DASH = {"native": "solid", "pca": "dash"}


def dims_axis(dims: np.ndarray, title: str = "dimensions kept") -> dict:
    """A log x axis (even steps for halvings) with one labelled tick per measured dim."""
    ticks = sorted({int(d) for d in dims})
    return {
        "type": "log",
        "title": {"text": title},
        "tickvals": ticks,
        "ticktext": [str(d) for d in ticks],
    }


def _by_ordering(table: pd.DataFrame) -> Iterator[tuple[str | None, pd.DataFrame]]:
    """(ordering, rows sorted by dim) per ordering, or (None, all rows) without that column."""
    if "ordering" not in table.columns:
        yield None, table.sort_values("dim")
        return
    for ordering, rows in table.groupby("ordering", sort=False):
        yield str(ordering), rows.sort_values("dim")


def _curves(table: pd.DataFrame, series: dict[str, str], colours: dict[str, str]) -> go.Figure:
    """One line per (name -> column) in `series` against dim, one dash per ordering; columns
    missing or never measured are left out."""
    fig = go.Figure()
    for ordering, rows in _by_ordering(table):
        for name, column in series.items():
            if column not in rows.columns or rows[column].isna().all():
                continue
            fig.add_trace(
                go.Scatter(
                    x=rows["dim"].tolist(),
                    y=rows[column].tolist(),
                    mode="lines+markers",
                    name=name if ordering is None else f"{name} · {ordering}",
                    legendgroup=name,
                    line={"color": colours[name], "dash": ORDERING_DASH.get(ordering, "solid")},
                    hovertemplate="%{y:.3f}",
                )
            )
    return fig


def fidelity_curves(
    table: pd.DataFrame,
    *,
    title: str = "",
    threshold: float | None = None,
    width: int | None = None,
    height: int = 450,
) -> go.Figure:
    """Recall@k, Spearman and ARI against dims: one colour per metric, one dash per ordering.

    Metrics with no values (ARI without communities) are left out; `threshold` draws the recall
    share asked for as a dotted horizontal line.
    """
    k = int(table["k"].iloc[0]) if "k" in table.columns else None
    labels = {m: label.format(k=k if k is not None else "k") for m, label in METRICS.items()}
    fig = _curves(
        table, {labels[m]: m for m in METRICS}, {labels[m]: c for m, c in METRIC_COLOURS.items()}
    )
    if threshold is not None:
        fig.add_hline(
            y=threshold,
            line={"dash": "dot", "color": "grey", "width": 1},
            annotation_text=f"recall threshold {threshold:.0%}",
            annotation_position="bottom right",
        )
    lowest = np.nanmin(table[[m for m in METRICS if m in table.columns]].to_numpy(dtype=float))
    fig.update_layout(
        xaxis=dims_axis(table["dim"].to_numpy()),
        yaxis={"range": [min(0.0, float(lowest)) - 0.02, 1.05], "title": {"text": "score"}},
        legend={"title": {"text": "metric"}},
        hovermode="x unified",
    )
    return style(fig, title, width=width, height=height)


def storage_figure(
    table: pd.DataFrame,
    n_docs: int | None = None,
    *,
    title: str = "",
    width: int | None = None,
    height: int = 400,
) -> go.Figure:
    """Grouped bars of storage per dim (largest first), one bar per precision, log y.

    Bytes per vector, or for `n_docs` vectors when given; only the table's "dim" column is used,
    so a fidelity table and a storage table both work.
    """
    dims = sorted({int(d) for d in table["dim"]}, reverse=True)
    scale = 1 if n_docs is None else int(n_docs)
    fig = go.Figure()
    for precision in PRECISION_BITS:
        sizes = [vector_bytes(d, precision) * scale for d in dims]
        fig.add_trace(
            go.Bar(
                x=[str(d) for d in dims],
                y=sizes,
                name=precision,
                marker={"color": PRECISION_COLOURS[precision]},
                text=[size_text(s) for s in sizes],
                hovertemplate="%{x} dims · " + precision + ": %{text}<extra></extra>",
            )
        )
    what = "bytes per vector" if n_docs is None else f"bytes for {n_docs:,} vectors"
    fig.update_layout(
        barmode="group",
        xaxis={"type": "category", "title": {"text": "dimensions kept"}},
        yaxis={"type": "log", "title": {"text": what}},
        legend={"title": {"text": "precision"}},
    )
    return style(fig, title, width=width, height=height)


def precision_recall_figure(
    table: pd.DataFrame, *, title: str = "", width: int | None = None, height: int = 400
) -> go.Figure:
    """Recall@k against dims for vectors stored as float32, int8 and binary: one colour per
    precision (as in the storage figure), one dash per ordering; unmeasured precisions left out."""
    fig = _curves(table, PRECISION_RECALL, PRECISION_COLOURS)
    fig.update_layout(
        xaxis=dims_axis(table["dim"].to_numpy()),
        yaxis={"range": [-0.02, 1.05], "title": {"text": f"recall@{int(table['k'].iloc[0])}"}},
        legend={"title": {"text": "stored as"}},
        hovermode="x unified",
    )
    return style(fig, title, width=width, height=height)


def latency_figure(
    table: pd.DataFrame, *, title: str = "", width: int | None = None, height: int = 400
) -> go.Figure:
    """Median milliseconds of one exact top-k query against dims, searched with each stored
    precision's own kernel: one colour per precision (as in the storage figure), one dash per
    ordering; precisions a table does not have (older tables time float32 alone) left out."""
    measured = table.dropna(subset=["latency_ms"])
    fig = _curves(measured, LATENCY_COLUMNS, PRECISION_COLOURS)
    fig.update_traces(hovertemplate="%{x} dims: %{y:.3f} ms/query")
    fig.update_layout(
        xaxis=dims_axis(measured["dim"].to_numpy()),
        yaxis={"rangemode": "tozero", "title": {"text": "ms per query"}},
        legend={"title": {"text": "stored as"}},
        showlegend=len(fig.data) > 1,
    )
    return style(fig, title, width=width, height=height)
