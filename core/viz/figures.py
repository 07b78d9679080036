"""Plotly figures built from precomputed arrays; they never save or show anything."""

from __future__ import annotations

import base64
import functools
import html
import json
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io

from core.analysis.graph import Graph
from core.viz.layout import MAP_POINT_LIMIT, placed_sample
from core.viz.map_labels import (
    CHAR_WIDTH,
    LabelFrame,
    LabelLevels,
    label_annotations,
    place_labels,
)
from core.viz.palette import PALETTE, group_colours, group_sizes
from core.viz.palette import community_colour as community_colour  # re-exported

WEBGL_THRESHOLD = 5_000  # more points than this are drawn with WebGL
# The live Explore map redraws in place on every slider step, where WebGL is quicker than SVG
# from WEBGL_THRESHOLD points down to about this many; its exports keep SVG up to
# WEBGL_THRESHOLD.
LIVE_WEBGL_THRESHOLD = 1_000
HOVER_TEXT_LIMIT = 5_000  # more points than this hover with community and row, not text
# The same for a map whose page holds the text once (map_spec's text_by_row): sent once per
# corpus rather than with each figure
TABLE_HOVER_TEXT_LIMIT = 20_000
ANIMATION_POINT_LIMIT = 3_000  # the ladder animation follows a fixed sample of this size
# As core.viz.network.MAX_NETWORK_NODES: the exported network shows the Network view's nodes.
NETWORK_FIGURE_LIMIT = 1_500
EXCERPT_CHARS = 160
VALUE_SCALE = "Viridis"  # a numeric column's colours: perceptually even, readable in grey
BLANK_COLOUR = "#bbbbbb"
HIGHLIGHT_FADE = 0.2  # the opacity of the points not highlighted
HIGHLIGHT_RING = "#111111"
HIGHLIGHT_META = "highlight"  # marks the traces of highlighted points
# The plot width a map's names are placed for when its figure sets none (the live map, as wide
# as the page): narrower than most screens give it, so names placed apart stay apart.
LABEL_PLOT_WIDTH = 900
MARGINS = {"l": 10, "r": 10, "t": 50, "b": 10}
ROW_HOVER = "<b>%{fullData.name}</b><br>row %{customdata}<extra></extra>"
TEXT_HOVER = "%{text}<extra></extra>"


def escape(text: str) -> str:
    """Escape &, < and > in text shown by plotly or vis.js. Quotes stay as they are: they are
    harmless outside attributes, and vis.js shows titles as plain text, where an escaped
    apostrophe would read "&#x27;"."""
    return html.escape(text, quote=False)


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


def _scatter_class(n: int, webgl_above: int = WEBGL_THRESHOLD):
    return go.Scattergl if n > webgl_above else go.Scatter


def sample_note(shown: int, total: int, what: str = "documents") -> str:
    """The on-screen statement of a sample's size."""
    return f"showing a fixed sample of {shown:,} of {total:,} {what}"


def hover_caption(n: int, limit: int = HOVER_TEXT_LIMIT) -> str:
    """What a map of n documents shows on hover, for a caption; empty when it shows the text
    (up to `limit` documents)."""
    if n <= limit:
        return ""
    return (
        f"Above {limit:,} documents the map's hover shows each point's community and "
        "row (0-based) only, which keeps the page light."
    )


def _note_spec(text: str) -> dict:
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


def _note(fig: go.Figure, text: str) -> go.Figure:
    fig.add_annotation(**_note_spec(text))
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


def _map_spec_layout(
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


@functools.cache
def _template(name: str) -> dict:
    return plotly.io.templates[name].to_plotly_json()


def spec_json(spec: dict) -> bytes:
    """A figure spec (a dict of "data" and "layout", as map_spec's) as the UTF-8 JSON plotly.js
    draws, with numeric arrays as typed arrays, without building plotly.py's objects (whose
    checks would take most of a live map's slider step). The spec is left unchanged."""
    layout = dict(spec["layout"])
    if isinstance(layout.get("template"), str):
        layout["template"] = _template(layout["template"])
    data = [{key: _typed(value) for key, value in trace.items()} for trace in spec["data"]]
    # the standard library's encoder: plotly's encodes twice (to turn NaN into null), and NaN is
    # only ever inside the typed arrays here
    body = json.dumps(
        {"data": data, "layout": layout},
        separators=(",", ":"),
        allow_nan=False,
        default=lambda value: value.tolist(),  # numpy scalars and object arrays (hover text)
    )
    return body.encode()


def _typed(value):
    """A numeric array as plotly.js's typed-array spec (little-endian bytes in base64), quicker
    than plotly's own converter over the many arrays of a large map."""
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu":
        return value
    little = value.astype(value.dtype.newbyteorder("<"), copy=False)
    code = f"{value.dtype.kind}{value.dtype.itemsize}"
    return {"dtype": code, "bdata": base64.b64encode(little.tobytes()).decode()}


def _node_traces(
    coords: np.ndarray,
    labels: np.ndarray,
    names: dict[int, str],
    hover: Sequence[str],
    rows: np.ndarray,
    size: int,
    webgl_above: int = WEBGL_THRESHOLD,
    text_by_row: bool = False,
) -> list[dict]:
    """One trace (a dict) per community over `rows`: float32 positions, int32 rows as
    customdata, and per-point hover text only up to HOVER_TEXT_LIMIT points (with
    `text_by_row`, the template only, up to TABLE_HOVER_TEXT_LIMIT: see map_spec). Colours by
    core.viz.palette.group_colours over every row, small communities grey."""
    kind = "scattergl" if len(rows) > webgl_above else "scatter"
    with_text = len(rows) <= (TABLE_HOVER_TEXT_LIMIT if text_by_row else HOVER_TEXT_LIMIT)
    # an object array: plotly checks it quicker than a list of the same strings
    texts = np.asarray(hover, dtype=object) if with_text and not text_by_row else None
    drawn = labels[rows]
    colours = group_colours(group_sizes(labels))
    traces = []
    for community in sorted(np.unique(drawn).tolist()):
        members = rows[drawn == community]
        trace = {
            "type": kind,
            "x": coords[members, 0].astype(np.float32),
            "y": coords[members, 1].astype(np.float32),
            "mode": "markers",
            "name": escape(names.get(community, str(community))),
            "marker": {"size": size, "color": colours[community], "line": {"width": 0}},
            "customdata": members.astype(np.int32),
            "hovertemplate": TEXT_HOVER if with_text else ROW_HOVER,
        }
        if texts is not None:
            trace["text"] = texts[members]
        traces.append(trace)
    return traces


def map_spec(
    coords: np.ndarray,
    labels: np.ndarray,
    names: dict[int, str],
    hover: Sequence[str],
    *,
    title: str = "",
    width: int | None = None,
    height: int = 600,
    limit: int = MAP_POINT_LIMIT,
    webgl_above: int = WEBGL_THRESHOLD,
    text_by_row: bool = False,
    colour_title: str = "community",
    values: np.ndarray | None = None,
    highlight: np.ndarray | None = None,
    highlight_note: str = "",
    map_labels: LabelLevels | None = None,
) -> dict:
    """The 2-D map as a figure spec (see map_figure), for spec_json. With `text_by_row` the
    traces leave out their hover text, for a page that holds every row's text once and fills
    each trace's from its customdata rows (pages/map_view.html): a slider step then need not
    send the same text again, and the text goes up to TABLE_HOVER_TEXT_LIMIT points.

    The points are coloured by `labels` (named by `names`, the legend titled `colour_title`),
    or with `values` (a number per row, NaN for none) on a continuous scale with a colour bar.
    `highlight` (a bool per row) draws its rows on top, ringed, the others faded (if any of
    them is drawn), with `highlight_note` in the corner. With `map_labels` (and no `values`)
    the groups' names are written over the points (core.viz.map_labels), placed for the
    figure's size (LABEL_PLOT_WIDTH wide when it sets no width)."""
    rows = placed_sample(len(labels), limit)
    # smaller points above 20k: less overdraw, and software WebGL paints them quicker
    size = 7 if len(rows) <= 2_000 else 4 if len(rows) <= 20_000 else 3
    if values is None:
        traces = _node_traces(coords, labels, names, hover, rows, size, webgl_above, text_by_row)
    else:
        traces = _value_traces(
            coords, values, colour_title, hover, rows, size, webgl_above, text_by_row
        )
    if highlight is not None and highlight[rows].any():
        traces = _highlighted(traces, highlight)
    layout = _map_spec_layout(
        title, width, height, coords[rows], margin=0.04, legend_title=colour_title
    )
    annotations = []
    if map_labels is not None and values is None and "range" in layout["xaxis"]:
        frame = _label_frame(layout, width or LABEL_PLOT_WIDTH, height, names)
        placed = place_labels(
            coords,
            labels,
            map_labels.names,
            frame,
            coarse_groups=map_labels.coarse_groups,
            coarse_names=map_labels.coarse_names,
        )
        annotations += label_annotations(placed)
    notes = [sample_note(len(rows), len(labels))] if len(rows) < len(labels) else []
    notes += [highlight_note] if highlight is not None and highlight_note else []
    if notes:
        annotations.append(_note_spec(" · ".join(notes)))
    if annotations:
        layout["annotations"] = annotations
    return {"data": traces, "layout": layout}


def _value_traces(
    coords: np.ndarray,
    values: np.ndarray,
    name: str,
    hover: Sequence[str],
    rows: np.ndarray,
    size: int,
    webgl_above: int,
    text_by_row: bool,
) -> list[dict]:
    """The points of `rows` coloured by `values` on a continuous scale with a colour bar
    titled `name`; rows without a value grey, which the bar's title says. The traces are
    _node_traces' (one per group: valued or blank), recoloured, with no legend entries."""
    blank = np.isnan(values)
    groups = {0: name, 1: "(blank)"}
    traces = _node_traces(
        coords, blank.astype(np.int8), groups, hover, rows, size, webgl_above, text_by_row
    )
    bar_title = escape(name) + ("<br>(grey: blank)" if len(traces) > 1 else "")
    for trace in traces:
        trace["showlegend"] = False
        if blank[trace["customdata"][0]]:
            trace["marker"]["color"] = BLANK_COLOUR
            continue
        shown = values[trace["customdata"]]
        trace["hovertemplate"] = trace["hovertemplate"].replace(
            "<extra>", "<br>%{fullData.name}: %{marker.color:.4g}<extra>"
        )
        trace["marker"].update(
            color=shown.astype(np.float32),
            colorscale=VALUE_SCALE,
            cmin=float(shown.min()),
            cmax=float(shown.max()),
            showscale=True,
            colorbar={"title": {"text": bar_title}, "thickness": 14},
        )
    return traces


def _highlighted(traces: list[dict], highlight: np.ndarray) -> list[dict]:
    """The traces faded, each with its highlighted rows drawn again on top of all of them: the
    same colours, larger, ringed, no legend entry of their own (they hide with their trace's)."""
    found = []
    for number, trace in enumerate(traces):
        trace.update(opacity=HIGHLIGHT_FADE, legendgroup=f"group-{number}")
        keep = highlight[trace["customdata"]]
        if not keep.any():
            continue
        again = {
            key: value[keep] if isinstance(value, np.ndarray) else value
            for key, value in trace.items()
        }
        marker = {
            key: value[keep] if isinstance(value, np.ndarray) else value
            for key, value in trace["marker"].items()
        }
        marker.update(size=marker["size"] + 4, line={"width": 1.5, "color": HIGHLIGHT_RING})
        marker.pop("colorbar", None)
        marker["showscale"] = False
        again.update(marker=marker, opacity=1.0, showlegend=False, meta=HIGHLIGHT_META)
        found.append(again)
    return traces + found


def _label_frame(layout: dict, width: int, height: int, names: Mapping[int, str]) -> LabelFrame:
    """The plot area of a map's layout: the figure less its margins and its legend (as wide as
    its longest name, at the legend's 12 px font, plus the symbol)."""
    longest = max((len(name) for name in names.values()), default=0)
    legend = longest * CHAR_WIDTH * 12 + 50
    margin = layout["margin"]
    return LabelFrame(
        width=max(width - margin["l"] - margin["r"] - legend, 100.0),
        height=max(height - margin["t"] - margin["b"], 100.0),
        x_range=tuple(layout["xaxis"]["range"]),
        y_range=tuple(layout["yaxis"]["range"]),
    )


def hovers_with_text(spec: dict) -> bool:
    """Whether a map spec's points show their text on hover (see _node_traces for up to how
    many points)."""
    return any("%{text}" in trace["hovertemplate"] for trace in spec["data"])


def map_figure(coords, labels, names, hover, **options) -> go.Figure:
    """The 2-D map, one trace per community (legend = keyword names); customdata = row index.
    Beyond `limit` documents it draws a fixed sample and says so on the map; the axes span the
    drawn points. Options as map_spec's."""
    return go.Figure(map_spec(coords, labels, names, hover, **options))


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
    limit: int = NETWORK_FIGURE_LIMIT,
) -> go.Figure:
    """The similarity graph drawn at the map's positions: a static twin of the pyvis view, with
    the same fixed sample of at most `limit` nodes and the edges between them."""
    rows = placed_sample(graph.n, limit)
    kept = np.zeros(graph.n, dtype=bool)
    kept[rows] = True
    both = kept[graph.src] & kept[graph.dst]
    shown = Graph(graph.n, graph.src[both], graph.dst[both], graph.weight[both])
    xs, ys = edge_segments(coords, shown)
    edges = _scatter_class(shown.edge_count)(
        x=xs,
        y=ys,
        mode="lines",
        line={"width": 0.5, "color": "rgba(90,90,90,0.25)"},
        hoverinfo="skip",
        name="edges",
        showlegend=False,
    )
    size = 6 if len(rows) <= 2_000 else 3
    fig = go.Figure([edges, *_node_traces(coords, labels, names, hover, rows, size)])
    fig.update_layout(_map_spec_layout(title, width, height))
    return _note(fig, sample_note(len(rows), graph.n, "nodes")) if len(rows) < graph.n else fig


def _palette_scale() -> list[list]:
    """A stepped colorscale taking code c (with cmin -0.5, cmax len(PALETTE) - 0.5) to
    PALETTE[c]."""
    k = len(PALETTE)
    return [[edge / k, colour] for c, colour in enumerate(PALETTE) for edge in (c, c + 1)]


def ladder_animation(
    layouts: dict[int, np.ndarray],
    labels: dict[int, np.ndarray],
    hover: Sequence[str],
    *,
    title: str = "",
    height: int = 650,
    limit: int = ANIMATION_POINT_LIMIT,
) -> go.Figure:
    """The map played through the ladder (largest size first, then back up): one frame per size
    over a fixed sample of at most `limit` documents. Points keep their order in every frame, so
    plotly moves them smoothly (SVG markers: WebGL would jump); frames carry only float32
    positions and uint8 colour codes, and hover text is sent once."""
    down = sorted(layouts, reverse=True)
    sequence = down + down[-2:0:-1]
    n = len(hover)
    rows = placed_sample(n, limit)

    def points(dim: int, **extra) -> go.Scatter:
        return go.Scatter(
            x=layouts[dim][rows, 0].astype(np.float32),
            y=layouts[dim][rows, 1].astype(np.float32),
            marker={"color": (labels[dim][rows] % len(PALETTE)).astype(np.uint8)},
            **extra,
        )

    def caption(dim: int) -> str:
        return f"{dim} dims · {np.unique(labels[dim]).size} communities"

    frames = [
        go.Frame(data=[points(dim)], name=f"{step}", layout={"title": {"text": caption(dim)}})
        for step, dim in enumerate(sequence)
    ]
    first = points(
        sequence[0],
        mode="markers",
        text=[hover[i] for i in rows],
        hovertemplate=TEXT_HOVER,
        showlegend=False,
    )
    first.marker.update(
        size=6 if len(rows) <= 2_000 else 3,
        colorscale=_palette_scale(),
        cmin=-0.5,
        cmax=len(PALETTE) - 0.5,
        showscale=False,
    )
    fig = go.Figure(data=[first], frames=frames)
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
    every = np.vstack([layouts[d][rows] for d in down])
    fig.update_layout(_map_spec_layout(title or caption(sequence[0]), None, height, every, 0.05))
    return _note(fig, sample_note(len(rows), n)) if len(rows) < n else fig


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


def selected_rows(points: Sequence[Mapping]) -> list[int]:
    """Corpus rows of the points picked on a map (each map point carries its row as customdata);
    points without one, such as the pin markers, are ignored."""
    rows = set()
    for point in points:
        value = point.get("customdata")
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        if value is not None:
            rows.add(int(value))
    return sorted(rows)
