"""The 2-D map as a plotly figure: one trace per group (communities, or a column's categories),
or a colour scale for a number per document, the Find highlight on top, names over the points
and pinned documents ringed; and the rows picked on it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from core.viz.layout import MAP_POINT_LIMIT, placed_sample
from core.viz.map_labels import CHAR_WIDTH, LabelFrame, label_annotations, place_labels
from core.viz.map_scene import MapScene
from core.viz.palette import BLANK_COLOUR, VALUE_SCALE, group_colours, group_sizes
from core.viz.style import map_layout, note_spec
from core.viz.text import escape, sample_note

WEBGL_THRESHOLD = 5_000  # more points than this are drawn with WebGL
# The live Explore map redraws in place on every slider step, where WebGL is quicker than SVG
# from WEBGL_THRESHOLD points down to about this many; its exports keep SVG up to
# WEBGL_THRESHOLD.
LIVE_WEBGL_THRESHOLD = 1_000
HOVER_TEXT_LIMIT = 5_000  # more points than this hover with community and row, not text
# The same for a map whose page holds the text once (map_spec's text_by_row): sent once per
# corpus rather than with each figure
TABLE_HOVER_TEXT_LIMIT = 20_000
HIGHLIGHT_FADE = 0.2  # the opacity of the points not highlighted
HIGHLIGHT_RING = "#111111"
HIGHLIGHT_META = "highlight"  # marks the traces of highlighted points
# The plot width a map's names are placed for when its figure sets none (the live map, as wide
# as the page): narrower than most screens give it, so names placed apart stay apart.
LABEL_PLOT_WIDTH = 900
ROW_HOVER = "<b>%{fullData.name}</b><br>row %{customdata}<extra></extra>"
TEXT_HOVER = "%{text}<extra></extra>"


def hover_caption(n: int, limit: int = HOVER_TEXT_LIMIT) -> str:
    """What a map of n documents shows on hover, for a caption; empty when it shows the text
    (up to `limit` documents)."""
    if n <= limit:
        return ""
    return (
        f"Above {limit:,} documents the map's hover shows each point's community and "
        "row (0-based) only, which keeps the page light."
    )


def node_traces(
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
    scene: MapScene,
    hover: Sequence[str],
    *,
    width: int | None = None,
    height: int = 600,
    limit: int = MAP_POINT_LIMIT,
    webgl_above: int = WEBGL_THRESHOLD,
    text_by_row: bool = False,
) -> dict:
    """The 2-D map of `scene` as a figure spec (see map_figure), for spec_json. With
    `text_by_row` the traces leave out their hover text, for a page that holds every row's text
    once and fills each trace's from its customdata rows (pages/map_view.html): a slider step
    then need not send the same text again, and the text goes up to TABLE_HOVER_TEXT_LIMIT
    points.

    The points are coloured by the scene's groups (the legend titled as its colours), or by its
    values (a number per row, NaN for none) on a continuous scale with a colour bar. Its
    highlight draws its rows on top, ringed, the others faded (if any of them is drawn), with
    its note in the corner. Its names on the map (with no values) are written over the points
    (core.viz.map_labels), placed for the figure's size (LABEL_PLOT_WIDTH wide when it sets no
    width)."""
    coords, colours, highlight = scene.coords, scene.colours, scene.highlight
    labels, names = colours.codes, colours.names
    rows = placed_sample(len(labels), limit)
    # smaller points above 20k: less overdraw, and software WebGL paints them quicker
    size = 7 if len(rows) <= 2_000 else 4 if len(rows) <= 20_000 else 3
    if colours.values is None:
        traces = node_traces(coords, labels, names, hover, rows, size, webgl_above, text_by_row)
    else:
        traces = _value_traces(
            coords, colours.values, colours.title, hover, rows, size, webgl_above, text_by_row
        )
    if highlight is not None and highlight[rows].any():
        traces = _highlighted(traces, highlight)
    layout = map_layout(
        scene.title, width, height, coords[rows], margin=0.04, legend_title=colours.title
    )
    annotations = []
    levels = scene.names_on_map
    if levels is not None and colours.values is None and "range" in layout["xaxis"]:
        frame = _label_frame(layout, width or LABEL_PLOT_WIDTH, height, names)
        placed = place_labels(
            coords,
            labels,
            levels.names,
            frame,
            coarse_groups=levels.coarse_groups,
            coarse_names=levels.coarse_names,
        )
        annotations += label_annotations(placed)
    notes = [sample_note(len(rows), len(labels))] if len(rows) < len(labels) else []
    notes += [scene.highlight_note] if highlight is not None and scene.highlight_note else []
    if notes:
        annotations.append(note_spec(" · ".join(notes)))
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
    node_traces' (one per group: valued or blank), recoloured, with no legend entries."""
    blank = np.isnan(values)
    groups = {0: name, 1: "(blank)"}
    traces = node_traces(
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
    """Whether a map spec's points show their text on hover (see node_traces for up to how
    many points)."""
    return any("%{text}" in trace["hovertemplate"] for trace in spec["data"])


def map_figure(scene: MapScene, hover: Sequence[str], **options) -> go.Figure:
    """The 2-D map, one trace per group (legend = their names); customdata = row index.
    Beyond `limit` documents it draws a fixed sample and says so on the map; the axes span the
    drawn points. Options as map_spec's."""
    return go.Figure(map_spec(scene, hover, **options))


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
